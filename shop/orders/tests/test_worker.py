"""Side effects through real Celery workers: `celery -A shop worker` processes
on a real broker (Redis; RabbitMQ when it answers), a real SMTP server
(aiosmtpd) and a real webhook receiver, against the test's PostgreSQL
database. Outcomes are polled with deadlines; nothing is timed but the one
bound that matters: the order request answers long before EMAIL_TIMEOUT.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit
from urllib.request import urlopen

import pytest
from django.db import connection, transaction
from prometheus_client.parser import text_string_to_metric_families

from shop.catalog.tests.factories import ProductFactory
from shop.celery import app as celery_app
from shop.conftest import auth_client
from shop.orders.models import Order
from shop.orders.services import LineRequest, order_place, order_transition
from shop.outbox.models import Delivery
from shop.outbox.tests.servers import SMTPServer, WebhookServer, free_port, wait_for
from shop.users.tests.factories import StaffFactory, UserFactory

ROOT = Path(__file__).resolve().parents[3]
REDIS_BROKER = os.environ.get("TEST_CELERY_REDIS_URL", "redis://127.0.0.1:6379/9")
AMQP_BROKER = os.environ.get(
    "TEST_CELERY_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"
)
# What the web side (this process) would wait for at most, were it sending.
EMAIL_TIMEOUT = 10

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def _answers(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection(
            (parts.hostname, parts.port or default_port), 1
        ).close()
    except OSError:
        return False
    return True


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "worker processes share the test database over the network: "
            "PostgreSQL only (SQLite runs the same deliveries in process)"
        )


@pytest.fixture
def smtp():
    server = SMTPServer()
    server.up()
    yield server
    server.close()


@pytest.fixture
def webhook(settings):
    server = WebhookServer()
    settings.ORDER_EVENTS_WEBHOOK_URL = server.url
    settings.ORDER_EVENTS_WEBHOOK_SECRET = "worker-test-secret"
    yield server
    server.close()


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{quote(db['USER'])}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


class CeleryProcess:
    """A `celery -A shop ...` subprocess with the production settings module,
    pointed at this test's database, broker queue, SMTP server and webhook."""

    def __init__(self, args, *, broker, smtp, tmp_path, settings, name, env=None):
        self.log = tmp_path / f"{name}.log"
        extra_env = env or {}
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("REDIS_URL", "CACHE_URL", "DATABASE_URL")
            and not key.startswith(
                ("CELERY_", "ORDER_EVENTS_", "WORKER_METRICS_", "PROMETHEUS_")
            )
        }
        env.update(
            DJANGO_SETTINGS_MODULE="shop.settings.prod",
            SECRET_KEY="worker-test-" + uuid.uuid4().hex,
            DATABASE_URL=_database_url(),
            CELERY_BROKER_URL=broker,
            CELERY_QUEUE=settings.CELERY_TASK_DEFAULT_QUEUE,
            EMAIL_URL=smtp.url,
            EMAIL_TIMEOUT="2",
            DEFAULT_FROM_EMAIL="shop@shop.test",
            OUTBOX_BACKOFF_BASE_SECONDS="0.5",
            OUTBOX_MAX_BACKOFF_SECONDS="2",
            OUTBOX_MAX_ATTEMPTS="100",
            OUTBOX_SWEEP_SECONDS="1",
            ORDER_EVENTS_WEBHOOK_URL=settings.ORDER_EVENTS_WEBHOOK_URL,
            ORDER_EVENTS_WEBHOOK_SECRET=settings.ORDER_EVENTS_WEBHOOK_SECRET,
            LOG_FORMAT="text",
            LOG_LEVEL="INFO",
            PYTHONPATH=str(ROOT),
        )
        env.update(extra_env)
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "shop", *args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 60):
        def seen():
            if self.process.poll() is not None:
                raise AssertionError(f"celery exited early:\n{self.output()}")
            return text in self.output()

        wait_for(seen, timeout=timeout, message=f"{text!r} in {self.log}")

    def pool_pids(self) -> list[int]:
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(child) for child in children]

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def live_broker(settings):
    """Make this process publish to `broker` for real (no eager mode)."""
    saved = {
        "broker_url": celery_app.conf.broker_url,
        "task_always_eager": celery_app.conf.task_always_eager,
    }

    def forget_connections():
        # The connection and producer pools were made for the previous broker
        # (an eager task acquires a producer too); Celery's own post-fork
        # cleanup drops both, which app.close() alone does not.
        celery_app._after_fork()

    def use(url: str):
        celery_app.conf.update(broker_url=url, task_always_eager=False)
        forget_connections()

    yield use
    celery_app.conf.update(saved)
    forget_connections()


@pytest.fixture
def start_celery(smtp, settings, tmp_path, live_broker):
    started: list[CeleryProcess] = []

    def start(kind="worker", broker=REDIS_BROKER, env=None):
        if not _answers(broker, 6379 if broker.startswith("redis") else 5672):
            pytest.skip(f"no broker answering at {broker}")
        live_broker(broker)
        if kind == "worker":
            args = [
                "worker",
                "-l",
                "INFO",
                "-P",
                "prefork",
                "-c",
                "2",
                "-n",
                f"test-{uuid.uuid4().hex[:8]}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ]
            ready = " ready."
        else:
            args = ["beat", "-l", "INFO", "-s", str(tmp_path / "beat-schedule")]
            ready = "Scheduler: Sending due task"
        process = CeleryProcess(
            args,
            broker=broker,
            smtp=smtp,
            tmp_path=tmp_path,
            settings=settings,
            name=f"{kind}-{len(started)}",
            env=env,
        )
        started.append(process)
        process.wait_for_log(ready)
        return process

    yield start
    for process in reversed(started):
        process.stop()
        # Shown by pytest when the test failed.
        print(f"--- {process.log.name} (tail) ---\n{process.output()[-4000:]}")


@pytest.fixture
def worker(start_celery):
    return start_celery("worker")


def place_order(client, product, quantity=1):
    started = time.monotonic()
    response = client.post(
        "/api/v1/orders/", {"items": [{"product": product.pk, "quantity": quantity}]}
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 201, response.content
    return Order.objects.get(pk=response.json()["id"]), elapsed


def mails_about(smtp, order) -> list:
    return [m for m in smtp.messages if f"#{order.pk} " in m["Subject"]]


def mail_state(order, handler="orders.mail_placed") -> Delivery:
    return Delivery.objects.get(
        handler=handler, event__aggregate_id=str(order.pk), event__type="order.placed"
    )


def test_worker_mails_after_commit_and_never_for_a_rolled_back_order(worker, smtp):
    product = ProductFactory(stock=10)
    customer, other = UserFactory(), UserFactory()

    with pytest.raises(RuntimeError), transaction.atomic():
        order_place(
            customer=other, lines=[LineRequest(product_id=product.pk, quantity=1)]
        )
        raise RuntimeError("payment failed after the order was written")
    order, _ = place_order(auth_client(customer), product)

    wait_for(lambda: mails_about(smtp, order), timeout=30, message="placed mail")
    wait_for(lambda: mail_state(order).state == "done", timeout=10)
    [message] = smtp.messages
    assert message["To"] == customer.email
    assert "received" in message["Subject"]
    assert Delivery.objects.count() == 1
    assert not Order.objects.filter(customer=other).exists()


def test_hanging_mail_server_never_holds_the_request(worker, smtp):
    smtp.hang()
    product = ProductFactory(stock=10)
    customer = UserFactory()

    order, elapsed = place_order(auth_client(customer), product)

    assert elapsed < EMAIL_TIMEOUT / 2, elapsed
    # The worker timed out on the silent server (EMAIL_TIMEOUT) and backs off.
    wait_for(
        lambda: mail_state(order).attempts >= 1, timeout=30, message="first attempt"
    )
    assert "timed out" in mail_state(order).last_error.lower()
    smtp.up()
    wait_for(lambda: mails_about(smtp, order), timeout=30, message="mail after hang")
    wait_for(lambda: mail_state(order).state == "done", timeout=10)
    assert len(mails_about(smtp, order)) == 1


def test_mail_server_down_for_a_while_gets_the_mail_once_it_is_back(worker, smtp):
    smtp.down()
    product = ProductFactory(stock=10)
    customer = UserFactory()

    order, _ = place_order(auth_client(customer), product)

    wait_for(lambda: mail_state(order).attempts >= 2, timeout=30, message="retries")
    assert "refused" in mail_state(order).last_error.lower()
    assert smtp.messages == []
    smtp.up()
    wait_for(lambda: mail_state(order).state == "done", timeout=30, message="sent")
    assert len(mails_about(smtp, order)) == 1
    time.sleep(1)  # a stray duplicate would show up here
    assert len(mails_about(smtp, order)) == 1


def test_worker_killed_mid_mail_sends_it_exactly_once_after_redelivery(worker, smtp):
    smtp.handler.hold_next_data = True
    product = ProductFactory(stock=10)
    customer = UserFactory()

    order, _ = place_order(auth_client(customer), product)
    assert smtp.handler.data_held.wait(30), worker.output()
    # SMTP DATA sent, no reply yet: the pool process dies with the row lock.
    for pid in worker.pool_pids():
        os.kill(pid, signal.SIGKILL)
    smtp.handler.release.set()

    wait_for(
        lambda: mail_state(order).state == "done", timeout=60, message="redelivery"
    )
    assert smtp.handler.data_attempts == 2
    assert len(mails_about(smtp, order)) == 1
    assert mail_state(order).attempts == 1
    assert "WorkerLostError" in worker.output() or "SIGKILL" in worker.output()


def _worker_metric(port: int, name: str, **labels) -> float:
    with urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


def test_worker_serves_its_pool_processes_failure_counts(start_celery, smtp, tmp_path):
    metrics_dir = tmp_path / "worker-metrics"
    metrics_dir.mkdir()
    # A previous worker's counts, left in the directory: not added in.
    stale = metrics_dir / "counter_1.db"
    stale.write_bytes(b"stale")
    port = free_port()
    worker = start_celery(
        "worker",
        env={
            "WORKER_METRICS_PORT": str(port),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        },
    )
    assert not stale.exists()
    assert f"worker metrics on http://127.0.0.1:{port}/metrics" in worker.output()
    failures = "shop_outbox_delivery_failures_total"
    assert _worker_metric(port, failures, handler="orders.mail_placed") == 0
    smtp.down()
    product = ProductFactory(stock=10)

    order, _ = place_order(auth_client(UserFactory()), product)

    # A pool process, not the one serving the port, failed the mail.
    wait_for(lambda: mail_state(order).attempts >= 1, timeout=30, message="attempt")
    wait_for(
        lambda: _worker_metric(port, failures, handler="orders.mail_placed") >= 1,
        timeout=30,
        message=f"{failures} on the worker's port",
    )


def test_broker_down_at_checkout_leaves_the_mail_to_the_sweep(
    start_celery, smtp, live_broker
):
    start_celery("worker")
    start_celery("beat")
    product = ProductFactory(stock=10)
    customer = UserFactory()
    live_broker("redis://127.0.0.1:1/9")  # nothing listens there

    order, elapsed = place_order(auth_client(customer), product)

    assert elapsed < EMAIL_TIMEOUT / 2, elapsed
    assert mail_state(order).state == "pending"
    # beat's sweep (every second here) finds the delivery nobody was told of.
    wait_for(lambda: mails_about(smtp, order), timeout=60, message="swept mail")
    wait_for(lambda: mail_state(order).state == "done", timeout=10)
    assert len(mails_about(smtp, order)) == 1


def test_events_reach_the_webhook_in_order_per_order(webhook, start_celery, smtp):
    start_celery("worker")
    staff = StaffFactory()
    products = ProductFactory.create_batch(3, stock=10)
    orders = []
    for product in products:
        order, _ = place_order(auth_client(UserFactory()), product)
        orders.append(order)
    for status in ("processing", "shipped", "delivered"):
        for order in orders:
            order_transition(order_id=order.pk, to_status=status, by_user=staff)
    expected = {
        str(order.pk): list(
            Delivery.objects.filter(
                handler="outbox.publish", event__aggregate_id=str(order.pk)
            )
            .order_by("event__created_at", "event_id")
            .values_list("event_id", flat=True)
        )
        for order in orders
    }
    assert all(len(ids) == 4 for ids in expected.values())

    wait_for(lambda: len(webhook.received) >= 12, timeout=60, message="12 events")
    bodies = [json.loads(body) for body in webhook.received]
    for aggregate_id, ids in expected.items():
        seen = [b["id"] for b in bodies if b["aggregate_id"] == aggregate_id]
        assert seen == [str(i) for i in ids], aggregate_id
    # The shipped mails went out beside publication, one per order.
    wait_for(
        lambda: sum("shipped" in m["Subject"] for m in smtp.messages) == 3,
        timeout=30,
    )


def test_amqp_broker_works_too(start_celery, smtp):
    # Skips with the reason when RabbitMQ does not answer.
    start_celery("worker", broker=AMQP_BROKER)
    product = ProductFactory(stock=10)
    customer = UserFactory()

    order, _ = place_order(auth_client(customer), product)

    wait_for(lambda: mails_about(smtp, order), timeout=30, message="mail via amqp")
    wait_for(lambda: mail_state(order).state == "done", timeout=10)
    assert len(mails_about(smtp, order)) == 1
