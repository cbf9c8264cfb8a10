"""Webhook deliveries: one event for one endpoint, with its attempts."""

from __future__ import annotations

from typing import Literal, get_args

import msgspec

DeliveryStatus = Literal["pending", "delivered", "failed"]
DELIVERY_STATUSES: tuple[DeliveryStatus, ...] = get_args(DeliveryStatus)


class DeliveryAttempt(msgspec.Struct, kw_only=True):
    """One try at sending a delivery."""

    attempt: int
    trigger: Literal["auto", "manual"]
    started_at: float
    latency_ms: int
    status_code: int | None
    succeeded: bool
    error: str | None
    response: str | None


class Delivery(msgspec.Struct, kw_only=True):
    """One event for one endpoint; `attempts_log` when the delivery is read by id."""

    id: str
    object: Literal["webhook.delivery"] = "webhook.delivery"
    webhook_id: str
    message_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: int | None
    last_status_code: int | None
    last_error: str | None
    created_at: int
    updated_at: int
    delivered_at: int | None
    attempts_log: list[DeliveryAttempt] | msgspec.UnsetType = msgspec.UNSET


class DeliveryList(msgspec.Struct, kw_only=True):
    """A page of deliveries."""

    object: Literal["list"] = "list"
    data: list[Delivery]
    has_more: bool
