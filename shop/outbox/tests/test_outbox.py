"""The outbox itself and each publishing target, against real endpoints."""

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from standardwebhooks import Webhook

from shop.core.testing import receive_all
from shop.outbox.events import SCHEMA_VERSION, event_record
from shop.outbox.models import Delivery, OutboxEvent

pytestmark = pytest.mark.django_db


def record(aggregate_id=1, type="order.placed", **payload):
    with transaction.atomic():
        return event_record(
            type=type,
            aggregate_type="order",
            aggregate_id=aggregate_id,
            payload={"order_id": aggregate_id, **payload},
        )


def test_event_carries_schema_version_and_starts_unpublished():
    event = record(7, total="12.50")

    event.refresh_from_db()
    assert event.payload == {
        "schema_version": SCHEMA_VERSION,
        "order_id": 7,
        "total": "12.50",
    }
    assert event.aggregate_id == "7"
    assert event.published_at is None


def test_events_of_one_transaction_keep_their_recording_order():
    with transaction.atomic():
        recorded = [
            event_record(
                type=f"order.step{n}",
                aggregate_type="order",
                aggregate_id=1,
                payload={},
            )
            for n in range(50)
        ]

    assert list(OutboxEvent.objects.order_by("created_at", "id")) == recorded


def test_rolled_back_transaction_leaves_no_event():
    with pytest.raises(RuntimeError), transaction.atomic():
        event_record(
            type="order.placed", aggregate_type="order", aggregate_id=1, payload={}
        )
        raise RuntimeError("the order failed after its event was recorded")

    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_event_record_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        event_record(
            type="order.placed", aggregate_type="order", aggregate_id=1, payload={}
        )

    assert not OutboxEvent.objects.exists()


def test_without_a_target_no_publication_is_recorded(settings):
    settings.ORDER_EVENTS_TOPIC_ARN = ""
    settings.ORDER_EVENTS_QUEUE_URL = ""
    settings.ORDER_EVENTS_WEBHOOK_URL = ""
    event = record()

    assert not event.deliveries.filter(handler="outbox.publish").exists()
    call_command("relay_events", stdout=open("/dev/null", "w"))
    event.refresh_from_db()
    assert event.published_at is None


def test_with_a_target_each_event_gets_one_publication_delivery(settings):
    settings.ORDER_EVENTS_WEBHOOK_URL = "http://127.0.0.1:9/hook"
    settings.ORDER_EVENTS_WEBHOOK_SECRET = "x"
    event = record(type="catalog.something")

    [delivery] = event.deliveries.all()
    assert (delivery.handler, delivery.state, delivery.attempts) == (
        "outbox.publish",
        Delivery.State.PENDING,
        0,
    )


def test_sqs_receives_each_event_once_and_in_order(settings, sqs, queue_url):
    settings.ORDER_EVENTS_QUEUE_URL = queue_url
    placed = record(1)
    changed = record(1, type="order.status_changed", status="processing")

    call_command("relay_events", stdout=open("/dev/null", "w"))
    call_command("relay_events", stdout=open("/dev/null", "w"))

    bodies = [json.loads(m["Body"]) for m in receive_all(sqs, queue_url, 2)]
    assert [b["id"] for b in bodies] == [str(placed.id), str(changed.id)]
    assert bodies[0]["type"] == "order.placed"
    assert bodies[0]["aggregate_id"] == "1"
    assert bodies[1]["payload"]["schema_version"] == SCHEMA_VERSION
    assert bodies[1]["payload"]["status"] == "processing"
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()


def test_fifo_queue_groups_messages_by_order(settings, sqs):
    url = sqs.create_queue(
        QueueName=f"orders-{uuid.uuid4().hex[:8]}.fifo",
        Attributes={"FifoQueue": "true"},
    )["QueueUrl"]
    settings.ORDER_EVENTS_QUEUE_URL = url
    event = record(42)

    call_command("relay_events", stdout=open("/dev/null", "w"))

    [message] = receive_all(sqs, url, 1)
    assert message["Attributes"]["MessageGroupId"] == "order-42"
    assert message["Attributes"]["MessageDeduplicationId"] == str(event.id)


def test_sns_topic_delivers_to_a_subscribed_queue(settings, sns, sqs, queue_url):
    topic_arn = sns.create_topic(Name=f"order-events-{uuid.uuid4().hex[:8]}")[
        "TopicArn"
    ]
    queue_arn = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    settings.ORDER_EVENTS_TOPIC_ARN = topic_arn
    settings.ORDER_EVENTS_QUEUE_URL = ""
    event = record(3, type="order.cancelled")

    call_command("relay_events", stdout=open("/dev/null", "w"))

    [message] = receive_all(sqs, queue_url, 1)
    notification = json.loads(message["Body"])
    assert notification["TopicArn"] == topic_arn
    assert notification["MessageAttributes"]["event_type"]["Value"] == (
        "order.cancelled"
    )
    body = json.loads(notification["Message"])
    assert body["id"] == str(event.id)
    assert body["type"] == "order.cancelled"


class _Webhook(BaseHTTPRequestHandler):
    status = 204
    received: list

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook(settings):
    handler = type("Handler", (_Webhook,), {"received": [], "status": 204})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.ORDER_EVENTS_QUEUE_URL = ""
    settings.ORDER_EVENTS_TOPIC_ARN = ""
    settings.ORDER_EVENTS_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/hook"
    settings.ORDER_EVENTS_WEBHOOK_SECRET = "s3cret-for-tests"
    yield handler
    server.shutdown()
    server.server_close()


def test_webhook_receives_signed_events(webhook):
    event = record(5)

    call_command("relay_events", stdout=open("/dev/null", "w"))

    [(headers, body)] = webhook.received
    # Standard Webhooks; a secret without whsec_ is its own UTF-8 key.
    assert Webhook(b"s3cret-for-tests").verify(body, headers)["id"] == str(event.id)
    assert {k.lower(): v for k, v in headers.items()}["webhook-id"] == str(event.id)
    assert headers["Content-Type"] == "application/json"
    event.refresh_from_db()
    assert event.published_at is not None


def test_webhook_error_keeps_the_event_for_a_later_retry(webhook):
    webhook.status = 503
    event = record(6)

    with pytest.raises(CommandError, match="1 will be retried"):
        call_command("relay_events", stdout=open("/dev/null", "w"))

    event.refresh_from_db()
    assert event.published_at is None
    delivery = event.deliveries.get(handler="outbox.publish")
    assert delivery.state == Delivery.State.PENDING
    assert delivery.attempts == 1
    assert "503" in delivery.last_error
    assert delivery.next_attempt_at > event.created_at
    assert len(webhook.received) == 1
