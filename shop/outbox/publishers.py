"""Targets the outbox relay publishes events to: SNS, SQS, a signed webhook.

Each publisher's `publish(event)` returns only once the target has accepted
the message and raises otherwise; the relay marks an event published only
after that. Credentials come from boto3's standard chain (environment,
shared config, instance/task role); `AWS_ENDPOINT_URL` points the clients at
any AWS-compatible endpoint.
"""

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


def webhook_signature(secret: str, body: bytes) -> str:
    """The `X-Shop-Signature` value for `body`: HMAC-SHA256 in hex."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookError(Exception):
    pass


class WebhookPublisher:
    def __init__(self, url: str, secret: str):
        if not secret:
            raise ImproperlyConfigured(
                "ORDER_EVENTS_WEBHOOK_SECRET is required with ORDER_EVENTS_WEBHOOK_URL."
            )
        self.url = url
        self.secret = secret

    def publish(self, event: OutboxEvent) -> None:
        body = event_body(event).encode()
        request = urllib.request.Request(  # noqa: S310 (URL is operator config)
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "shop-relay/1",
                "X-Shop-Event-Id": str(event.id),
                "X-Shop-Event-Type": event.type,
                "X-Shop-Timestamp": str(int(time.time())),
                "X-Shop-Signature": webhook_signature(self.secret, body),
            },
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
            WebhookPublisher(
                settings.ORDER_EVENTS_WEBHOOK_URL, settings.ORDER_EVENTS_WEBHOOK_SECRET
            )
        )
    if not publishers:
        raise ImproperlyConfigured(
            "No event target configured: set ORDER_EVENTS_TOPIC_ARN, "
            "ORDER_EVENTS_QUEUE_URL or ORDER_EVENTS_WEBHOOK_URL."
        )
    if len(publishers) == 1:
        return publishers[0]
    return FanOutPublisher(publishers)
