"""Private PostgreSQL clusters, PgBouncer and HAProxy for the scale-out tests.

Each helper starts its own process on a free loopback port with its own
configuration under a temporary directory, and stops it again; nothing here
touches the machine's own PostgreSQL cluster or any system service.

Stdlib only, like harness.py. As root, PostgreSQL and PgBouncer run as the
`postgres` user (initdb refuses root).
"""

from __future__ import annotations

import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg

PG_BIN = Path(
    os.environ.get("PG_BIN")
    or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1:]),
        "/usr/lib/postgresql/15/bin",
    )
)
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def missing_postgres_binaries() -> str | None:
    """Why a private cluster cannot be started here, or None."""
    for name in ("initdb", "pg_ctl", "pg_basebackup"):
        if not (PG_BIN / name).exists():
            return f"{PG_BIN / name} not found (PostgreSQL server binaries)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a `postgres` user for initdb"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def private_dir(prefix: str) -> Path:
    """A temporary directory the `postgres` user owns when we are root."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return path


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        _as_postgres(args), check=True, capture_output=True, text=True, **kwargs
    )


class Cluster:
    """One PostgreSQL server on 127.0.0.1 with its data in `datadir`."""

    def __init__(self, datadir: Path, port: int):
        self.datadir = datadir
        self.port = port

    @property
    def server_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}"

    def url(self, dbname: str = "postgres") -> str:
        return f"{self.server_url}/{dbname}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(dbname), autocommit=True, connect_timeout=5)

    def start(self) -> Cluster:
        _run(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.datadir),
                "-l",
                str(self.datadir / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
        return self

    def stop(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres(
                    [
                        str(PG_BIN / "pg_ctl"),
                        "-D",
                        str(self.datadir),
                        "-m",
                        "immediate",
                        "-w",
                        "stop",
                    ]
                ),
                capture_output=True,
                check=False,
            )


_PRIMARY_CONF = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{datadir}'
wal_level = replica
max_wal_senders = 5
hot_standby = on
max_connections = 60
shared_buffers = 32MB
# A throwaway test cluster: durability buys nothing here.
fsync = off
synchronous_commit = off
full_page_writes = off
"""

_HBA = """
local all all trust
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
"""


def start_primary(root: Path) -> Cluster:
    """initdb and start a primary that accepts replication from loopback."""
    datadir = root / "primary"
    datadir.mkdir()
    if os.geteuid() == 0:
        shutil.chown(datadir, "postgres", "postgres")
    _run(
        [
            str(PG_BIN / "initdb"),
            "-D",
            str(datadir),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ]
    )
    port = free_port()
    with open(datadir / "postgresql.conf", "a") as conf:
        conf.write(_PRIMARY_CONF.format(port=port, datadir=datadir))
    (datadir / "pg_hba.conf").write_text(_HBA)
    return Cluster(datadir, port).start()


def start_replica(primary: Cluster, root: Path, name: str = "replica") -> Cluster:
    """A physical streaming replica of `primary` (pg_basebackup -R)."""
    datadir = root / name
    _run(
        [
            str(PG_BIN / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(datadir),
            "-R",
            "-X",
            "stream",
            "--no-sync",
        ]
    )
    port = free_port()
    with open(datadir / "postgresql.conf", "a") as conf:
        conf.write(f"\nport = {port}\n")
    return Cluster(datadir, port).start()


def wait_until(predicate, *, timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise TimeoutError(f"{what} not met in {timeout} s")


def wait_for_replay(primary: Cluster, replica: Cluster, timeout: float = 60) -> None:
    """Until the replica has replayed everything the primary has written."""
    with primary.connect() as conn:
        (target,) = conn.execute("SELECT pg_current_wal_lsn()").fetchone()

    def caught_up():
        with replica.connect() as conn:
            (behind,) = conn.execute(
                "SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn())",
                [target],
            ).fetchone()
        return behind is not None and behind <= 0

    wait_until(caught_up, timeout=timeout, what="replica replay")


# --- Processes configured from the deploy/ examples ---------------------------


class Process:
    """A daemon started in the foreground, stopped by its pid."""

    def __init__(self, args: list[str], *, log_path: Path, env=None, as_postgres=False):
        self.args = _as_postgres(args) if as_postgres else args
        self.log_path = log_path
        self.env = env
        self.proc: subprocess.Popen | None = None

    def start(self, port: int) -> Process:
        self._log = open(self.log_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            self.args, stdout=self._log, stderr=self._log, env=self.env
        )

        def listening():
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.args[0]} exited: {self.log_path.read_text()[-2000:]}"
                )
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", port)) == 0

        wait_until(listening, timeout=30, what=f"{self.args[0]} listening on {port}")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self._log.close()


def start_pgbouncer(root: Path, *, server: str, port: int, databases: dict[str, str]):
    """PgBouncer in transaction pooling mode in front of `server` (host:port).

    The [pgbouncer] section is deploy/pgbouncer.ini's; the test fills in the
    databases, the port and the paths.
    """
    host, server_port = server.rsplit(":", 1)
    lines = ["[databases]"]
    for alias, dbname in databases.items():
        lines.append(
            f"{alias} = host={host} port={server_port} dbname={dbname} "
            "connect_query='SET statement_timeout = 30000'"
        )
    example = (DEPLOY / "pgbouncer.ini").read_text()
    section = example[example.index("\n[pgbouncer]\n") + 1 :]
    overrides = {
        "listen_addr": "127.0.0.1",
        "listen_port": str(port),
        "auth_type": "trust",
        "auth_file": str(root / "userlist.txt"),
        "logfile": str(root / "pgbouncer.log"),
        "pidfile": str(root / "pgbouncer.pid"),
        "unix_socket_dir": str(root),
    }
    kept = [
        line
        for line in section.splitlines()
        if line.split("=", 1)[0].strip() not in overrides
    ]
    kept += [f"{key} = {value}" for key, value in overrides.items()]
    (root / "userlist.txt").write_text('"postgres" ""\n')
    ini = root / "pgbouncer.ini"
    ini.write_text("\n".join(lines) + "\n\n" + "\n".join(kept) + "\n")
    if os.geteuid() == 0:
        for path in (ini, root / "userlist.txt"):
            shutil.chown(path, "postgres", "postgres")
    process = Process(
        [PGBOUNCER, str(ini)], log_path=root / "pgbouncer.out", as_postgres=True
    )
    return process.start(port)


def start_haproxy(root: Path, *, port: int, web: list[int]) -> Process:
    """HAProxy from deploy/haproxy.cfg, round-robin over two web instances."""
    env = {
        **os.environ,
        "SHOP_LB_BIND": f"127.0.0.1:{port}",
        "SHOP_WEB_1": f"127.0.0.1:{web[0]}",
        "SHOP_WEB_2": f"127.0.0.1:{web[1]}",
        "SHOP_LB_SERVED_BY_HEADER": "1",
    }
    process = Process(
        [HAPROXY, "-db", "-f", str(DEPLOY / "haproxy.cfg")],
        log_path=root / "haproxy.log",
        env=env,
    )
    return process.start(port)


# --- HTTP -------------------------------------------------------------------


def call(
    method: str,
    url: str,
    *,
    body=None,
    headers: dict | None = None,
    source: str | None = None,
    form: dict | None = None,
    cookies: dict | None = None,
):
    """(status, headers, parsed JSON or raw bytes) of one request.

    `source` binds the client socket to another loopback address
    (127.0.0.2, ...), so a proxy in between sees a client that differs from
    itself.
    """
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(
        parts.hostname,
        parts.port,
        timeout=30,
        source_address=(source, 0) if source else None,
    )
    headers = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    elif form is not None:
        data = urlencode(form).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        if response.getheader("Content-Type", "").startswith("application/json"):
            payload = json.loads(raw or b"null")
        else:
            payload = raw
        return response.status, response, payload
    finally:
        conn.close()


def admin_session(base: str, email: str, password: str, source=None) -> dict:
    """Log in to the admin through its login form; the session's cookies."""
    import re

    status, response, page = call("GET", f"{base}/admin/login/", source=source)
    if status != 200:
        raise RuntimeError(f"admin login page: {status} {page[:300]!r}")
    cookies = response_cookies(response)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    status, response, _ = call(
        "POST",
        f"{base}/admin/login/?next=/admin/",
        form={
            "csrfmiddlewaretoken": token.decode(),
            "username": email,
            "password": password,
            "next": "/admin/",
        },
        cookies=cookies,
        source=source,
    )
    if status != 302:
        raise RuntimeError(f"admin login: {status}")
    return {**cookies, **response_cookies(response)}


def response_cookies(response) -> dict:
    jar = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def collect_static(env: dict) -> None:
    """collectstatic as the image build does, one run at a time.

    The admin's pages need the static manifest under production settings;
    parallel test processes share the one STATIC_ROOT, so they take turns.
    """
    import fcntl

    from tests.system import harness

    with open(Path(tempfile.gettempdir()) / "shop-collectstatic.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = harness.manage(env, "collectstatic", "--noinput", check=False)
    if result.returncode != 0:
        raise RuntimeError(f"collectstatic failed: {result.stderr[-2000:]}")
