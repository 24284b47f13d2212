"""Read replicas: opt-in reads for heavy staff queries, the primary for the rest.

`DATABASE_REPLICA_URLS` adds the aliases `replica_0`, `replica_1`, ... (see
settings). Nothing reads from them unless it asks: reports, exports and the
admin dashboard call :func:`replica_alias` and pass the alias as `using`.
Everything else, and every read that must see the caller's own writes
(order list after checkout, idempotency, authentication, admin change pages),
stays on the primary because that is Django's default alias.

A replica that does not answer is skipped with a warning and remembered as
down for `DATABASE_REPLICA_RETRY_SECONDS`, so requests do not each pay its
connect timeout; with no replica left the primary serves the read.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA_PREFIX = "replica_"
T = TypeVar("T")

_turn = itertools.count()
# alias -> time.monotonic() before which it is not tried again (per process).
_down_until: dict[str, float] = {}


class PrimaryReplicaRouter:
    """Writes and migrations on the primary; replicas only when named.

    Reads fall through to Django's default (the primary, or the database an
    instance was loaded from), so a replica is never chosen implicitly.
    """

    def db_for_read(self, model, **hints):
        return None

    def db_for_write(self, model, **hints):
        # Even an instance loaded from a replica is saved on the primary.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Replicas hold the same rows as the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return not db.startswith(REPLICA_PREFIX)


def replica_aliases() -> list[str]:
    """The configured replica aliases, in order."""
    return [alias for alias in connections if alias.startswith(REPLICA_PREFIX)]


def replica_alias() -> str:
    """A reachable replica's alias, round-robin, or the primary's.

    Connects (bounded by DATABASE_REPLICA_CONNECT_TIMEOUT) so that a replica
    that is down is found here rather than in the middle of a report.
    """
    aliases = replica_aliases()
    if not aliases:
        return DEFAULT_DB_ALIAS
    start = next(_turn)
    now = time.monotonic()
    for offset in range(len(aliases)):
        alias = aliases[(start + offset) % len(aliases)]
        if _down_until.get(alias, 0) > now:
            continue
        if _connect(alias):
            return alias
    return DEFAULT_DB_ALIAS


def replica_read(read: Callable[..., T], /, *args, **kwargs) -> T:
    """`read(*args, using=alias, **kwargs)` on a replica, else on the primary.

    For idempotent reads only: a replica that fails mid-read (stopped after
    the connection was checked) is marked down and the read runs again on the
    primary, so the caller sees an answer rather than a 500.
    """
    alias = replica_alias()
    if alias == DEFAULT_DB_ALIAS:
        return read(*args, using=alias, **kwargs)
    try:
        return read(*args, using=alias, **kwargs)
    except DatabaseError as exc:
        connection = connections[alias]
        if connection.connection is not None and connection.is_usable():
            # A query error (timeout, bad SQL) rather than a lost replica.
            raise
        mark_down(alias, exc)
        return read(*args, using=DEFAULT_DB_ALIAS, **kwargs)


def mark_down(alias: str, exc: BaseException) -> None:
    """Skip `alias` for DATABASE_REPLICA_RETRY_SECONDS and close its connection."""
    retry = settings.DATABASE_REPLICA_RETRY_SECONDS
    logger.warning(
        "replica %s unreachable, reading from the primary for %s s: %s",
        alias,
        retry,
        exc,
    )
    _down_until[alias] = time.monotonic() + retry
    connections[alias].close()


def _connect(alias: str) -> bool:
    connection = connections[alias]
    try:
        # A persistent connection to a replica that went away fails here
        # (CONN_HEALTH_CHECKS), once per request, not in the report's query.
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError as exc:
        mark_down(alias, exc)
        return False
    _down_until.pop(alias, None)
    return True


# --- Readiness --------------------------------------------------------------

# On the replica itself: bytes received but not yet replayed, and how long
# ago the last replayed transaction committed on the primary (0 when nothing
# is waiting, since an idle primary would otherwise look like growing lag).
_LAG_SQL = """
    SELECT pg_is_in_recovery(),
           CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END,
           pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()),
           CASE
               WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
               ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())
           END
"""


def replica_states() -> list[dict]:
    """Each replica's state for /health/ready: up or down, and its replay lag."""
    return [_state(alias) for alias in replica_aliases()]


def _state(alias: str) -> dict:
    state = {
        "alias": alias,
        "status": "down",
        "lag_seconds": None,
        "lag_bytes": None,
        "replay_paused": None,
    }
    if not _connect(alias):
        return state
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            if connection.vendor != "postgresql":
                cursor.execute("SELECT 1")
                cursor.fetchone()
                return {**state, "status": "ok"}
            cursor.execute(_LAG_SQL)
            in_recovery, paused, lag_bytes, lag_seconds = cursor.fetchone()
    except DatabaseError as exc:
        mark_down(alias, exc)
        return state
    if not in_recovery:
        # Not a standby (a test mirror, or a promoted replica): nothing lags.
        return {**state, "status": "ok", "lag_seconds": 0.0, "lag_bytes": 0}
    return {
        **state,
        "status": "ok",
        "lag_seconds": round(float(lag_seconds or 0), 3),
        "lag_bytes": int(lag_bytes or 0),
        "replay_paused": bool(paused),
    }
