"""Signatures verified by the reference `standardwebhooks` implementation."""

from __future__ import annotations

import time
from datetime import UTC

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from aiagentics.engine.webhooks.signing import (
    InvalidSecret,
    generate_secret,
    secret_key,
    sign,
    signature_headers,
)

BODY = b'{"type":"run.completed","data":{"run_id":"run_1","output":"caf\xc3\xa9"}}'


def test_generated_secret_verifies_with_reference_library() -> None:
    secret = generate_secret()
    headers = signature_headers([secret], "msg_1", int(time.time()), BODY)
    assert Webhook(secret).verify(BODY, headers)["data"]["run_id"] == "run_1"


def test_known_vector_from_the_spec_library() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    ts = 1614265330
    ours = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", ts, b'{"test": 2432232314}')
    from datetime import datetime

    theirs = Webhook(secret).sign(
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        datetime.fromtimestamp(ts, tz=UTC),
        '{"test": 2432232314}',
    )
    assert ours == theirs == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_rotation_overlap_both_secrets_accepted() -> None:
    old, new = generate_secret(), generate_secret()
    headers = signature_headers([new, old], "msg_2", int(time.time()), BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(BODY, headers)
    Webhook(new).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(BODY, headers)


def test_tampered_body_rejected() -> None:
    secret = generate_secret()
    headers = signature_headers([secret], "msg_3", int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"run_1", b"run_2"), headers)


@pytest.mark.parametrize("bad", ["abc", "whsec_", "whsec_!!!notbase64", "whsec_YWJj"])
def test_bad_secrets(bad: str) -> None:
    with pytest.raises(InvalidSecret):
        secret_key(bad)
