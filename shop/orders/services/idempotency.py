"""`Idempotency-Key` handling for order creation, with Stripe's semantics.

A key belongs to one user. The first request with a key claims it (a row
inserted and committed on its own, so a concurrent duplicate hits the unique
constraint at once); the outcome is then stored in the same transaction as
the order it created, so "order exists" and "key answered" commit together.
Later requests with the key and the same body get that stored outcome back,
errors included; with another body they are refused (422); while the first
is still running they get 409 and may retry.
"""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.utils.encoders import JSONEncoder

from shop.exceptions import ShopError, error_body
from shop.orders.exceptions import (
    IdempotencyKeyInProgress,
    IdempotencyKeyInvalid,
    IdempotencyKeyMismatch,
)
from shop.orders.models import IdempotencyKey, Order
from shop.users.models import User

MAX_KEY_LENGTH = 255
# Printable ASCII without surrounding spaces (servers strip those from
# header values, so the key would not arrive as sent). Published as the
# header's schema pattern.
KEY_PATTERN = "^[!-~](?:[ -~]*[!-~])?$"
_KEY_RE = re.compile(KEY_PATTERN)
# Keys answer replays for at least this long; idempotency_keys_prune (run by
# expire_pending_orders and prune_idempotency_keys) deletes older ones.
KEY_TTL = timedelta(hours=getattr(settings, "SHOP_IDEMPOTENCY_KEY_TTL_HOURS", 24))
# A claim still unanswered after this long belongs to a request that died
# (worker killed mid-request). Its order never committed, because the answer
# commits with the order, so a retry may take the key over. Twice gunicorn's
# timeout (30 s; gthread workers do not enforce it per request); a request
# that is somehow still alive finds its claim lost and rolls its order back.
STALE_CLAIM_AFTER = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class IdempotentResult:
    status: int
    body: dict
    replayed: bool


class _ClaimLost(Exception):
    """Another request took over this key while we were still working."""


def idempotency_key_check(value: str | None) -> str | None:
    """Return the header's key, None when absent; refuse malformed ones."""
    if value is None:
        return None
    if len(value) > MAX_KEY_LENGTH or not _KEY_RE.match(value):
        raise IdempotencyKeyInvalid(extra={"max_length": MAX_KEY_LENGTH})
    return value


def request_fingerprint(data: Any) -> str:
    """SHA-256 of the body as canonical JSON (key order and spacing ignored)."""
    if hasattr(data, "lists"):  # a QueryDict from a form-encoded body
        data = dict(data.lists())
    canonical = json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent_run(
    *,
    user: User,
    key: str,
    request_hash: str,
    produce: Callable[[], tuple[int, dict, Order | None]],
) -> IdempotentResult:
    """Run `produce` once per (user, key); replay its stored outcome after.

    `produce` returns (status, body, order). A ShopError it raises is stored
    as the key's answer and re-raised; any other exception releases the key,
    since nothing was committed and a retry should run again.
    """
    record = idempotency_key_claim(user=user, key=key, request_hash=request_hash)
    if record.response_status is not None:
        return IdempotentResult(
            status=record.response_status,
            # Stored with the status, always a JSON object.
            body=cast(dict, record.response_body),
            replayed=True,
        )
    try:
        with transaction.atomic():
            status, body, order = produce()
            body = _jsonable(body)
            _answer(record, status=status, body=body, order=order)
    except _ClaimLost:
        raise IdempotencyKeyInProgress() from None
    except ShopError as exc:
        try:
            with transaction.atomic():
                _answer(
                    record,
                    status=exc.status_code,
                    body=error_body(exc.code, exc.message, exc.extra),
                    order=None,
                )
        except _ClaimLost:
            raise IdempotencyKeyInProgress() from None
        raise
    except BaseException:
        idempotency_key_release(record=record)
        raise
    return IdempotentResult(status=status, body=body, replayed=False)


def idempotency_key_claim(*, user: User, key: str, request_hash: str) -> IdempotencyKey:
    """Claim the key, or return its record when it already holds an answer.

    Raises IdempotencyKeyMismatch for another body, IdempotencyKeyInProgress
    while the first request with the key is still running.
    """
    for _ in range(3):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    user=user, key=key, request_hash=request_hash
                )
        except IntegrityError:
            pass
        record = IdempotencyKey.objects.filter(user=user, key=key).first()
        if record is None:
            continue  # released between our insert and this read; try again
        now = timezone.now()
        if record.created_at < now - KEY_TTL:
            # Expired but not pruned yet: the key is free again.
            IdempotencyKey.objects.filter(
                pk=record.pk, created_at=record.created_at
            ).delete()
            continue
        if record.request_hash != request_hash:
            raise IdempotencyKeyMismatch()
        if record.response_status is not None:
            return record
        if record.created_at < now - STALE_CLAIM_AFTER:
            taken = IdempotencyKey.objects.filter(
                pk=record.pk, created_at=record.created_at, response_status=None
            ).update(created_at=now)
            if taken:
                record.created_at = now
                return record
        raise IdempotencyKeyInProgress()
    raise IdempotencyKeyInProgress()


def _answer(
    record: IdempotencyKey, *, status: int, body: dict, order: Order | None
) -> None:
    # Conditional on our claim, so a request that lost its key to a takeover
    # rolls its order back instead of committing a second one.
    stored = IdempotencyKey.objects.filter(
        pk=record.pk, created_at=record.created_at, response_status=None
    ).update(response_status=status, response_body=body, order=order)
    if not stored:
        raise _ClaimLost()
    record.response_status, record.response_body = status, body


def idempotency_key_release(*, record: IdempotencyKey) -> None:
    """Forget an unanswered claim so the same key can be retried."""
    IdempotencyKey.objects.filter(
        pk=record.pk, created_at=record.created_at, response_status=None
    ).delete()


def idempotency_keys_prune(
    *, older_than: timedelta = KEY_TTL, dry_run: bool = False
) -> int:
    """Delete keys older than `older_than` (never less than the TTL)."""
    cutoff = timezone.now() - max(older_than, KEY_TTL)
    expired = IdempotencyKey.objects.filter(created_at__lt=cutoff)
    if dry_run:
        return expired.count()
    deleted, _ = expired.delete()
    return deleted


def _jsonable(body: dict) -> dict:
    # Store exactly what the client sees: Decimals and datetimes as rendered.
    return json.loads(json.dumps(body, cls=JSONEncoder))
