"""Read replicas: round-robin, fallback to the primary, readiness, settings.

These tests add replica aliases at run time: mirrors of the test database for
a replica that answers, a closed port (or a missing directory on SQLite) for
one that does not. The real streaming replica is exercised by
tests/system/test_replica_system.py.
"""

import copy
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.test import Client, override_settings

from shop.core import replicas

BASE_DIR = Path(__file__).resolve().parents[3]


REPLICAS = ("replica_0", "replica_1")
# Transactional: TestCase would hold each alias, mirrors too, in an atomic block.
with_replicas = pytest.mark.django_db(
    transaction=True, databases=["default", *REPLICAS]
)


@pytest.fixture(scope="module", autouse=True)
def _replica_aliases(django_db_setup):
    """Two replicas, mirrors of the test database, for this module's tests.

    Module-scoped so they exist before pytest-django validates the aliases a
    test may use; each test starts with both reachable.
    """
    for alias in REPLICAS:
        settings_dict = copy.deepcopy(connections["default"].settings_dict)
        settings_dict["TEST"] = {**settings_dict["TEST"], "MIRROR": "default"}
        connections.settings[alias] = settings_dict
    yield
    for alias in REPLICAS:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


@pytest.fixture(autouse=True)
def _fresh_replicas():
    saved = {a: dict(connections[a].settings_dict) for a in REPLICAS}
    yield
    for alias in REPLICAS:
        connection = connections[alias]
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved[alias])
        replicas._down_until.pop(alias, None)


def unreachable(alias: str, tmp_path: Path) -> None:
    connection = connections[alias]
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = str(tmp_path / "missing" / "db.sqlite3")
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=1)


def reachable(alias: str) -> None:
    connection = connections[alias]
    connection.close()
    for key in ("NAME", "HOST", "PORT"):
        connection.settings_dict[key] = connections["default"].settings_dict[key]


def _warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "shop.core.replicas" and r.levelno == logging.WARNING
    ]


@with_replicas
def test_reads_go_round_robin_over_the_replicas():
    chosen = [replicas.replica_alias() for _ in range(4)]

    assert sorted(chosen) == ["replica_0", "replica_0", "replica_1", "replica_1"]
    assert chosen[0] != chosen[1]


@with_replicas
def test_unreachable_replicas_fall_back_and_are_not_retried_at_once(tmp_path, caplog):
    for alias in REPLICAS:
        unreachable(alias, tmp_path)

    first = replicas.replica_alias()
    second = replicas.replica_alias()

    assert first == second == DEFAULT_DB_ALIAS
    # One warning per replica: the second call knew both were down and did
    # not pay for more connection attempts.
    warnings = _warnings(caplog)
    assert len(warnings) == 2
    for alias in REPLICAS:
        assert any(w.startswith(f"replica {alias} unreachable") for w in warnings)


@with_replicas
@override_settings(DATABASE_REPLICA_RETRY_SECONDS=0)
def test_a_replica_marked_down_is_tried_again_after_the_retry_delay(tmp_path):
    for alias in REPLICAS:
        unreachable(alias, tmp_path)
    assert replicas.replica_alias() == DEFAULT_DB_ALIAS

    reachable("replica_1")

    assert replicas.replica_alias() == "replica_1"


@with_replicas
def test_the_other_replica_serves_while_one_is_down(tmp_path):
    unreachable("replica_0", tmp_path)

    chosen = {replicas.replica_alias() for _ in range(4)}

    assert chosen == {"replica_1"}


@with_replicas
def test_a_replica_lost_mid_read_is_read_again_on_the_primary(tmp_path, caplog):
    calls = []

    def read(*, using):
        calls.append(using)
        if using != DEFAULT_DB_ALIAS:
            # The replica goes away between the check and the query.
            unreachable(using, tmp_path)
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()[0]

    assert replicas.replica_read(read) == 1

    assert calls[0] in REPLICAS and calls[1:] == [DEFAULT_DB_ALIAS]
    assert len(_warnings(caplog)) == 1


@with_replicas
def test_a_query_error_on_a_healthy_replica_is_not_hidden():
    calls = []

    def read(*, using):
        calls.append(using)
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table_anywhere")

    with pytest.raises(DatabaseError):
        replicas.replica_read(read)

    assert len(calls) == 1 and calls[0] in REPLICAS


@with_replicas
def test_ready_lists_replicas_and_stays_200_when_one_is_down(tmp_path):
    unreachable("replica_1", tmp_path)

    response = Client().get("/health/ready")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    states = {r["alias"]: r for r in body["replicas"]}
    assert states["replica_0"]["status"] == "ok"
    # A mirror of the primary is not in recovery: nothing to replay.
    if connections["default"].vendor == "postgresql":
        assert states["replica_0"]["lag_bytes"] == 0
    assert states["replica_1"] == {
        "alias": "replica_1",
        "status": "down",
        "lag_seconds": None,
        "lag_bytes": None,
        "replay_paused": None,
    }


def test_router_keeps_writes_and_migrations_on_the_primary():
    router = replicas.PrimaryReplicaRouter()

    assert router.db_for_write(object) == DEFAULT_DB_ALIAS
    assert router.db_for_read(object) is None
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "orders") is True
    assert router.allow_migrate("replica_0", "orders") is False


# --- Settings, read in a fresh interpreter as a server would -----------------

PRINT_DATABASES = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps(settings.DATABASES, default=str))
"""


def _databases(**env) -> dict:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_REPLICA_URLS", "DATABASE_POOLER", "DATABASE_URL"}
    }
    environ.update(DJANGO_SETTINGS_MODULE="shop.settings.dev", **env)
    result = subprocess.run(
        [sys.executable, "-c", PRINT_DATABASES],
        cwd=BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_replica_urls_become_mirrored_aliases_with_a_connect_timeout():
    databases = _databases(
        DATABASE_URL="postgres://shop@db:5432/shop",
        DATABASE_REPLICA_URLS="postgres://shop@r0:5432/shop,postgres://shop@r1/shop",
        DATABASE_REPLICA_CONNECT_TIMEOUT="3",
    )

    assert set(databases) == {"default", "replica_0", "replica_1"}
    assert databases["replica_1"]["HOST"] == "r1"
    for alias in ("replica_0", "replica_1"):
        assert databases[alias]["TEST"]["MIRROR"] == "default"
        assert databases[alias]["OPTIONS"]["connect_timeout"] == 3
        assert databases[alias]["CONN_HEALTH_CHECKS"] is True
    assert "connect_timeout" not in databases["default"]["OPTIONS"]


def test_pgbouncer_mode_sends_no_startup_options_and_no_held_cursors():
    direct = _databases(DATABASE_URL="postgres://shop@db:5432/shop")
    pooled = _databases(
        DATABASE_URL="postgres://shop@pgbouncer:6432/shop",
        DATABASE_REPLICA_URLS="postgres://shop@pgbouncer:6432/shop_replica",
        DATABASE_POOLER="pgbouncer",
    )

    assert "statement_timeout" in direct["default"]["OPTIONS"]["options"]
    assert not direct["default"].get("DISABLE_SERVER_SIDE_CURSORS")
    for alias in ("default", "replica_0"):
        assert "options" not in pooled[alias]["OPTIONS"]
        assert pooled[alias]["DISABLE_SERVER_SIDE_CURSORS"] is True
