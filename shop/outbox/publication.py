"""Publication of every event to SNS, SQS or a webhook: one outbox handler.

Registered for every event type while a target is configured; ordered, so
an event is published only after every earlier event of its aggregate.
Delivery is at least once: consumers de-duplicate by the event id.
"""

from functools import lru_cache

from django.conf import settings
from django.utils import timezone

from .handlers import handler_register
from .models import Delivery, OutboxEvent
from .publishers import Publisher, publisher_from_settings

HANDLER = "outbox.publish"


def publication_configured(event: OutboxEvent | None = None) -> bool:
    return bool(
        settings.ORDER_EVENTS_PUBLISHER
        or settings.ORDER_EVENTS_TOPIC_ARN
        or settings.ORDER_EVENTS_QUEUE_URL
        or settings.ORDER_EVENTS_WEBHOOK_URL
    )


@lru_cache(maxsize=4)
def _publisher(*config) -> Publisher:
    # Building boto3 clients costs tens of milliseconds: one per configuration.
    return publisher_from_settings()


def publisher_current() -> Publisher:
    return _publisher(
        settings.ORDER_EVENTS_PUBLISHER,
        settings.ORDER_EVENTS_TOPIC_ARN,
        settings.ORDER_EVENTS_QUEUE_URL,
        settings.ORDER_EVENTS_WEBHOOK_URL,
        tuple(settings.ORDER_EVENTS_WEBHOOK_SECRETS),
        settings.ORDER_EVENTS_WEBHOOK_SECRET,
        settings.AWS_ENDPOINT_URL,
        settings.AWS_REGION,
    )


@handler_register(HANDLER, applies=publication_configured, ordered=True)
def event_publish(delivery: Delivery) -> None:
    event = delivery.event
    publisher_current().publish(event)
    event.published_at = timezone.now()
    OutboxEvent.objects.filter(pk=event.pk).update(published_at=event.published_at)
