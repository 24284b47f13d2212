"""Webhook deliveries as a Standard Webhooks consumer sees them.

Each delivery reaches a local HTTP server and is verified with the
`standardwebhooks` reference library, as docs/integrations.md tells
consumers to do.
"""

import base64
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import transaction
from standardwebhooks import Webhook, WebhookVerificationError

from shop.outbox.events import event_record
from shop.outbox.models import Delivery
from shop.outbox.publishers import WebhookPublisher
from shop.outbox.services import deliveries_retry

pytestmark = pytest.mark.django_db


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def record(aggregate_id=1):
    with transaction.atomic():
        return event_record(
            type="order.placed",
            aggregate_type="order",
            aggregate_id=aggregate_id,
            payload={"order_id": aggregate_id},
        )


def relay():
    call_command("relay_events", stdout=open("/dev/null", "w"))


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        # Header names are case-insensitive (urllib sends `Webhook-id`).
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.received.append((headers, body))
        self.send_response(self.statuses.pop(0) if self.statuses else 204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(settings):
    handler = type("Handler", (_Receiver,), {"received": [], "statuses": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.ORDER_EVENTS_QUEUE_URL = ""
    settings.ORDER_EVENTS_TOPIC_ARN = ""
    settings.ORDER_EVENTS_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/hook"
    settings.ORDER_EVENTS_WEBHOOK_SECRETS = []
    settings.ORDER_EVENTS_WEBHOOK_SECRET = ""
    yield handler
    server.shutdown()
    server.server_close()


def test_a_delivery_verifies_with_the_standard_webhooks_library(receiver, settings):
    secret = new_secret()
    settings.ORDER_EVENTS_WEBHOOK_SECRETS = [secret]
    event = record(5)

    relay()

    [(headers, body)] = receiver.received
    payload = Webhook(secret).verify(body, headers)
    assert payload["id"] == str(event.id)
    assert headers["webhook-id"] == str(event.id)
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["x-shop-event-type"] == "order.placed"
    assert headers["content-type"] == "application/json"


def test_a_changed_timestamp_id_or_body_fails_verification(receiver, settings):
    secret = new_secret()
    settings.ORDER_EVENTS_WEBHOOK_SECRETS = [secret]
    record(6)
    relay()
    [(headers, body)] = receiver.received
    hook = Webhook(secret)

    # The timestamp is signed: a replay cannot pass an old request as new.
    later = {
        **headers,
        "webhook-timestamp": str(int(headers["webhook-timestamp"]) + 60),
    }
    other_id = {**headers, "webhook-id": "another-message"}
    for tampered_headers, tampered_body in (
        (later, body),
        (other_id, body),
        (headers, body.replace(b'"order_id":6', b'"order_id":7')),
    ):
        with pytest.raises(WebhookVerificationError):
            hook.verify(tampered_body, tampered_headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)


def test_every_configured_secret_signs_so_secrets_rotate(receiver, settings):
    old, new = new_secret(), new_secret()
    settings.ORDER_EVENTS_WEBHOOK_SECRETS = [new, old]
    record(7)

    relay()

    [(headers, body)] = receiver.received
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(body, headers)["aggregate_id"] == "7"
    assert Webhook(new).verify(body, headers)["aggregate_id"] == "7"


def test_the_older_single_secret_setting_still_signs(receiver, settings):
    # Secrets from before whsec_: the key is the UTF-8 text itself.
    settings.ORDER_EVENTS_WEBHOOK_SECRET = "s3cret-for-tests"
    rotated = new_secret()
    settings.ORDER_EVENTS_WEBHOOK_SECRETS = [rotated]
    record(8)

    relay()

    [(headers, body)] = receiver.received
    assert Webhook(b"s3cret-for-tests").verify(body, headers)
    assert Webhook(rotated).verify(body, headers)


def test_retries_of_an_event_keep_its_webhook_id(receiver, settings):
    secret = new_secret()
    settings.ORDER_EVENTS_WEBHOOK_SECRETS = [secret]
    receiver.statuses = [503]
    event = record(9)

    with pytest.raises(CommandError, match="1 will be retried"):
        relay()
    deliveries_retry(ids=[event.deliveries.get(handler="outbox.publish").pk])
    relay()

    (first_headers, first_body), (second_headers, second_body) = receiver.received
    assert first_headers["webhook-id"] == second_headers["webhook-id"] == str(event.id)
    assert first_body == second_body
    for headers, body in receiver.received:
        Webhook(secret).verify(body, headers)
    delivery = event.deliveries.get(handler="outbox.publish")
    assert delivery.state == Delivery.State.DONE


@pytest.mark.parametrize(
    "secrets_, message",
    [
        ([], "ORDER_EVENTS_WEBHOOK_SECRETS is required"),
        (["whsec_not base64!"], "base64"),
        (["whsec_" + base64.b64encode(b"short").decode()], "at least 24 bytes"),
    ],
)
def test_a_missing_or_malformed_secret_stops_the_publisher(secrets_, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        WebhookPublisher("http://127.0.0.1:9/hook", secrets_)
