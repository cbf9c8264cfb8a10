"""The patterns the OpenAPI document gives webhook URLs and secrets are what the API checks."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiagentics.engine.bodies import WEBHOOK_SECRET_PATTERN, WEBHOOK_URL_PATTERN
from aiagentics.engine.definition_checks import check_webhook_url
from aiagentics.engine.outbound import ALWAYS_REFUSED_HOSTNAMES
from aiagentics.engine.webhooks.signing import InvalidSecret, secret_key
from aiagentics.errors import InvalidInput

FAST = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


def _refused_name(url: str) -> bool:
    """The two refusals the pattern leaves to the description: .localhost and metadata names."""
    host = url.split("://", 1)[1].split("/")[0].split("?")[0].split(":")[0].lower().rstrip(".")
    return host.endswith(".localhost") or host in ALWAYS_REFUSED_HOSTNAMES


@FAST
@given(st.from_regex(WEBHOOK_URL_PATTERN, fullmatch=True))
def test_every_documented_url_is_accepted(url: str) -> None:
    if not _refused_name(url):
        check_webhook_url(url, allow_private_network=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://B.Qb*",  # a character no host name has
        "http://hooks/x",  # a single label (a private name) without allow_private_network
        "http://user:pw@example.com/x",  # user info
        "https://example.com/x#frag",  # a fragment
        "https://example.com/x%zz",  # a broken percent escape
        "https://example.com:70000/",  # no such port
        "ftp://example.com/",
    ],
)
def test_urls_outside_the_pattern_are_refused(url: str) -> None:
    assert not re.fullmatch(WEBHOOK_URL_PATTERN, url)
    with pytest.raises(InvalidInput) as err:
        check_webhook_url(url, allow_private_network=False)
    assert err.value.param == "url"


def test_literal_addresses_and_private_names_follow_the_settings() -> None:
    check_webhook_url("http://8.8.8.8/hook", allow_private_network=False)
    check_webhook_url("http://hooks:8080/x", allow_private_network=True)
    with pytest.raises(InvalidInput):
        check_webhook_url("http://10.0.0.1/x", allow_private_network=False)


def _accepted(secret: str) -> bool:
    try:
        secret_key(secret)
    except InvalidSecret:
        return False
    return True


@pytest.mark.parametrize("length", range(0, 100))
@pytest.mark.parametrize("padding", ["", "=", "==", "===", "====="])
def test_the_secret_pattern_is_what_secret_key_accepts(length: int, padding: str) -> None:
    encoded = base64.b64encode(bytes(range(80))).decode().rstrip("=")[:length] + padding
    secret = "whsec_" + encoded
    assert bool(re.fullmatch(WEBHOOK_SECRET_PATTERN, secret)) == _accepted(secret)
