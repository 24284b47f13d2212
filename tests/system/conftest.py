"""Fixtures of the scale-out system tests: private clusters, own processes.

They run in the PostgreSQL pass of the suite (their own servers, not the
suite's database) and skip, with the reason, where a binary is missing.
"""

import shutil

import pytest
from django.conf import settings

from tests.system import clusters


@pytest.fixture
def on_postgres_pass():
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("scale-out system test: runs in the PostgreSQL pass")


@pytest.fixture
def scratch(on_postgres_pass):
    """A temporary directory the postgres user may write, removed afterwards."""
    path = clusters.private_dir("shop-scale-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def primary(scratch):
    """A private primary cluster with replication allowed from loopback."""
    reason = clusters.missing_postgres_binaries()
    if reason:
        pytest.skip(reason)
    cluster = None
    try:
        cluster = clusters.start_primary(scratch)
        yield cluster
    finally:
        if cluster is not None:
            cluster.stop()


@pytest.fixture
def gunicorns():
    """Started harness.Server instances, stopped at the end whatever happens."""
    started = []
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def processes():
    """Started clusters.Process instances (PgBouncer, HAProxy), stopped last."""
    started = []
    yield started
    for process in reversed(started):
        process.stop()
