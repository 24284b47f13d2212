"""The Docker files cannot be run here (no Docker engine); read them instead."""

import re
from pathlib import Path

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


def test_compose_web_waits_for_healthy_dependencies_and_migrates_first():
    web = _compose()["services"]["web"]
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    assert web["depends_on"]["redis"]["condition"] == "service_healthy"
    command = " ".join(web["command"].split())
    assert command.index("migrate") < command.index("gunicorn")
    assert "8000:8000" in web["ports"]
    assert "/health/ready" in " ".join(web["healthcheck"]["test"])


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


def test_dockerfile_runs_gunicorn_as_non_root_with_collected_static():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.1[1-3]-slim", dockerfile, re.M)
    assert "collectstatic --noinput" in dockerfile
    user_lines = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert user_lines and user_lines[-1] not in ("root", "0")
    assert "gunicorn.conf.py" in dockerfile
    assert "HEALTHCHECK" in dockerfile


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
