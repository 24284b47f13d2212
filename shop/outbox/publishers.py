"""Targets the outbox relay publishes events to: SNS, SQS, a signed webhook.

Each publisher's `publish(event)` returns only once the target has accepted
the message and raises otherwise; the relay marks an event published only
after that. Credentials come from boto3's standard chain (environment,
shared config, instance/task role); `AWS_ENDPOINT_URL` points the clients at
any AWS-compatible endpoint.
"""

import base64
import binascii
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.module_loading import import_string

from .models import OutboxEvent

WEBHOOK_TIMEOUT_SECONDS = 10


class Publisher(Protocol):
    def publish(self, event: OutboxEvent) -> None: ...


def event_body(event: OutboxEvent) -> str:
    return json.dumps(event.envelope(), cls=DjangoJSONEncoder, separators=(",", ":"))


def _message_attributes(event: OutboxEvent) -> dict:
    # Lets subscribers filter (SNS filter policies) without parsing the body.
    return {
        "event_type": {"DataType": "String", "StringValue": event.type},
        "aggregate_type": {"DataType": "String", "StringValue": event.aggregate_type},
    }


def _fifo_arguments(event: OutboxEvent) -> dict:
    # One message group per order keeps its events in order; the event id as
    # de-duplication id lets SNS/SQS drop a re-send within their 5-minute window.
    return {
        "MessageGroupId": f"{event.aggregate_type}-{event.aggregate_id}",
        "MessageDeduplicationId": str(event.id),
    }


def aws_client(service: str):
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        region_name=settings.AWS_REGION or None,
        endpoint_url=settings.AWS_ENDPOINT_URL or None,
        config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 3}),
    )


class SNSPublisher:
    def __init__(self, topic_arn: str, client=None):
        self.topic_arn = topic_arn
        self.client = client or aws_client("sns")

    def publish(self, event: OutboxEvent) -> None:
        kwargs = {
            "TopicArn": self.topic_arn,
            "Message": event_body(event),
            "MessageAttributes": _message_attributes(event),
        }
        if self.topic_arn.endswith(".fifo"):
            kwargs.update(_fifo_arguments(event))
        self.client.publish(**kwargs)


class SQSPublisher:
    def __init__(self, queue_url: str, client=None):
        self.queue_url = queue_url
        self.client = client or aws_client("sqs")

    def publish(self, event: OutboxEvent) -> None:
        kwargs = {
            "QueueUrl": self.queue_url,
            "MessageBody": event_body(event),
            "MessageAttributes": _message_attributes(event),
        }
        if self.queue_url.endswith(".fifo"):
            kwargs.update(_fifo_arguments(event))
        self.client.send_message(**kwargs)


WEBHOOK_SECRET_PREFIX = "whsec_"
# The Standard Webhooks spec asks for keys of 24 to 64 random bytes.
WEBHOOK_MIN_KEY_BYTES = 24


def webhook_key(secret: str) -> bytes:
    """The HMAC key of one configured secret.

    `whsec_` + base64 is the Standard Webhooks format; anything else is a
    secret from before it (`ORDER_EVENTS_WEBHOOK_SECRET`), used as its UTF-8
    bytes so existing consumers keep their key while they rotate.
    """
    if not secret.startswith(WEBHOOK_SECRET_PREFIX):
        return secret.encode()
    try:
        key = base64.b64decode(
            secret.removeprefix(WEBHOOK_SECRET_PREFIX), validate=True
        )
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(
            "A whsec_ webhook secret must be whsec_ followed by base64."
        ) from None
    if len(key) < WEBHOOK_MIN_KEY_BYTES:
        raise ImproperlyConfigured(
            f"A whsec_ webhook secret must hold at least {WEBHOOK_MIN_KEY_BYTES} "
            "bytes (base64 of secrets.token_bytes(32))."
        )
    return key


def webhook_signature(
    keys: Sequence[bytes], msg_id: str, timestamp: int, body: bytes
) -> str:
    """The `webhook-signature` header: `v1,<base64 HMAC-SHA256>` per key.

    What is signed is `{id}.{timestamp}.{body}`, so neither the id nor the
    time can be changed or replayed later without the key.
    """
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1,"
        + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        for key in keys
    )


def webhook_secrets() -> list[str]:
    """Every secret deliveries are signed with, the rotation list first."""
    secrets = [*settings.ORDER_EVENTS_WEBHOOK_SECRETS]
    legacy = settings.ORDER_EVENTS_WEBHOOK_SECRET
    if legacy and legacy not in secrets:
        secrets.append(legacy)
    return secrets


class WebhookError(Exception):
    pass


class WebhookPublisher:
    """POSTs each event signed per Standard Webhooks (standardwebhooks.com).

    Several secrets sign at once (one signature each), so a consumer's secret
    can be rotated without a moment in which deliveries fail.
    """

    def __init__(self, url: str, secrets: Sequence[str]):
        secrets = [s for s in secrets if s]
        if not secrets:
            raise ImproperlyConfigured(
                "ORDER_EVENTS_WEBHOOK_SECRETS is required with "
                "ORDER_EVENTS_WEBHOOK_URL."
            )
        self.url = url
        self.keys = [webhook_key(s) for s in secrets]

    def headers(self, event: OutboxEvent, body: bytes, timestamp: int) -> dict:
        # The event id is the message id: the same on every retry of the
        # event, so consumers de-duplicate on it.
        msg_id = str(event.id)
        return {
            "Content-Type": "application/json",
            "User-Agent": "shop-relay/2",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": webhook_signature(self.keys, msg_id, timestamp, body),
            "X-Shop-Event-Type": event.type,
        }

    def publish(self, event: OutboxEvent) -> None:
        body = event_body(event).encode()
        request = urllib.request.Request(  # noqa: S310 (URL is operator config)
            self.url,
            data=body,
            method="POST",
            headers=self.headers(event, body, int(time.time())),
        )
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=WEBHOOK_TIMEOUT_SECONDS
            ) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            raise WebhookError(f"webhook answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise WebhookError(f"webhook unreachable: {exc}") from exc
        if not 200 <= status < 300:
            raise WebhookError(f"webhook answered HTTP {status}")


class FanOutPublisher:
    """Publish to every configured target; an event fails if any target fails."""

    def __init__(self, publishers: Sequence[Publisher]):
        self.publishers = list(publishers)

    def publish(self, event: OutboxEvent) -> None:
        for publisher in self.publishers:
            publisher.publish(event)


def publisher_from_settings() -> Publisher:
    """The publisher the relay uses, built from the ORDER_EVENTS_* settings.

    `ORDER_EVENTS_PUBLISHER` (a dotted path to a zero-argument factory) replaces
    the built-in targets, e.g. for a custom transport.
    """
    custom = getattr(settings, "ORDER_EVENTS_PUBLISHER", "")
    if custom:
        return import_string(custom)()
    publishers: list[Publisher] = []
    if settings.ORDER_EVENTS_TOPIC_ARN:
        publishers.append(SNSPublisher(settings.ORDER_EVENTS_TOPIC_ARN))
    if settings.ORDER_EVENTS_QUEUE_URL:
        publishers.append(SQSPublisher(settings.ORDER_EVENTS_QUEUE_URL))
    if settings.ORDER_EVENTS_WEBHOOK_URL:
        publishers.append(
            WebhookPublisher(settings.ORDER_EVENTS_WEBHOOK_URL, webhook_secrets())
        )
    if not publishers:
        raise ImproperlyConfigured(
            "No event target configured: set ORDER_EVENTS_TOPIC_ARN, "
            "ORDER_EVENTS_QUEUE_URL or ORDER_EVENTS_WEBHOOK_URL."
        )
    if len(publishers) == 1:
        return publishers[0]
    return FanOutPublisher(publishers)
