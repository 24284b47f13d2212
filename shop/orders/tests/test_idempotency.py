import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from shop.catalog.models import StockMovement
from shop.conftest import auth_client
from shop.orders.models import IdempotencyKey, Order
from shop.orders.services import idempotency_keys_prune, request_fingerprint
from shop.orders.services.idempotency import STALE_CLAIM_AFTER

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"


def post(client, body, key):
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.fixture
def body(product):
    return {"items": [{"product": product.pk, "quantity": 2}]}


def test_replay_returns_the_original_response_without_a_second_order(
    customer_client, body, product
):
    first = post(customer_client, body, "key-1")
    second = post(customer_client, body, "key-1")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert Order.objects.count() == 1
    product.refresh_from_db()
    assert product.stock == 8
    assert StockMovement.objects.filter(reason="order").count() == 1


def test_body_key_order_and_spacing_do_not_matter(customer_client, product):
    a = {"items": [{"product": product.pk, "quantity": 1}], "note": "x"}
    b = {"note": "x", "items": [{"quantity": 1, "product": product.pk}]}

    assert post(customer_client, a, "k").status_code == 201
    assert post(customer_client, b, "k").status_code == 201
    assert Order.objects.count() == 1


def test_replay_survives_later_changes_to_the_order(customer_client, body):
    first = post(customer_client, body, "k")
    customer_client.post(f"{URL}{first.json()['id']}/cancel/")

    replay = post(customer_client, body, "k")

    assert replay.json()["status"] == "pending"  # the original answer
    assert Order.objects.count() == 1


def test_same_key_with_another_body_is_422(customer_client, body, product):
    post(customer_client, body, "k")

    other = {"items": [{"product": product.pk, "quantity": 3}]}
    response = post(customer_client, other, "k")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_mismatch"
    assert Order.objects.count() == 1


def test_keys_are_scoped_to_their_user(customer, other_customer, body, product):
    mine = post(auth_client(customer), body, "shared-key")
    theirs = post(auth_client(other_customer), body, "shared-key")

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert theirs.json()["customer"] == other_customer.pk
    assert Order.objects.count() == 2


def test_key_longer_than_255_characters_is_400(customer_client, body):
    response = post(customer_client, body, "k" * 256)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert not Order.objects.exists()
    assert post(customer_client, body, "k" * 255).status_code == 201


def test_empty_key_is_400(customer_client, body):
    assert post(customer_client, body, "").status_code == 400


def test_failed_order_is_stored_and_replayed(customer_client, product):
    body = {"items": [{"product": product.pk, "quantity": 50}]}

    first = post(customer_client, body, "k")
    # Stock arriving later does not change the key's answer (Stripe's rule):
    # the client asked once and got its answer; a new attempt needs a new key.
    from shop.catalog.services import stock_adjust

    stock_adjust(product_id=product.pk, delta=100)
    second = post(customer_client, body, "k")

    assert first.status_code == second.status_code == 409
    assert second.json() == first.json()
    assert second.json()["code"] == "insufficient_stock"
    assert not Order.objects.exists()
    assert post(customer_client, body, "k2").status_code == 201


def test_invalid_body_does_not_consume_the_key(customer_client, body):
    bad = post(customer_client, {"items": []}, "k")

    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    assert post(customer_client, body, "k").status_code == 201


def test_requests_without_a_key_are_not_deduplicated(customer_client, body):
    customer_client.post(URL, body, format="json")
    customer_client.post(URL, body, format="json")
    assert Order.objects.count() == 2


def test_in_progress_key_is_409(customer, customer_client, body):
    IdempotencyKey.objects.create(
        user=customer, key="k", request_hash=request_fingerprint(body)
    )

    response = post(customer_client, body, "k")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_progress"
    assert not Order.objects.exists()


def test_abandoned_claim_is_taken_over(customer, customer_client, body):
    # A worker died after claiming the key; its order never committed.
    claim = IdempotencyKey.objects.create(
        user=customer, key="k", request_hash=request_fingerprint(body)
    )
    IdempotencyKey.objects.filter(pk=claim.pk).update(
        created_at=timezone.now() - STALE_CLAIM_AFTER - dt.timedelta(seconds=1)
    )

    response = post(customer_client, body, "k")

    assert response.status_code == 201
    assert post(customer_client, body, "k").json() == response.json()
    assert Order.objects.count() == 1


def test_expired_key_can_be_used_again(customer, customer_client, body):
    first = post(customer_client, body, "k")
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))

    second = post(customer_client, body, "k")

    assert second.status_code == 201
    assert second.json()["id"] != first.json()["id"]


def test_keys_are_kept_a_day_then_pruned(customer_client, body):
    post(customer_client, body, "young")
    post(customer_client, body, "old")
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - dt.timedelta(hours=25)
    )

    # Asking for less than the 24 h retention still keeps a day's keys.
    assert idempotency_keys_prune(older_than=dt.timedelta(hours=1), dry_run=True) == 1
    assert idempotency_keys_prune(older_than=dt.timedelta(hours=1)) == 1

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["young"]
    assert Order.objects.count() == 2  # orders are never touched


def test_prune_command(customer_client, body):
    post(customer_client, body, "old")
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(days=3))

    call_command("prune_idempotency_keys", "--dry-run")
    assert IdempotencyKey.objects.count() == 1
    call_command("prune_idempotency_keys")
    assert not IdempotencyKey.objects.exists()


def test_fingerprint_is_canonical():
    assert request_fingerprint({"a": 1, "b": [1, 2]}) == request_fingerprint(
        {"b": [1, 2], "a": 1}
    )
    assert request_fingerprint({"a": 1}) != request_fingerprint({"a": 2})


def test_schema_documents_the_header_and_error_codes(staff_client):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    create = schema["paths"]["/api/v1/orders/"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert {"201", "400", "409", "422"} <= set(create["responses"])
