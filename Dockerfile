# syntax=docker/dockerfile:1
# Python 3.11, the version CI tests, on a pinned Debian release: a rebuild
# gets the same interpreter (bump the tag deliberately, with CI).
FROM python:3.11.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=shop.settings.prod

WORKDIR /app

# A fixed numeric id, so volume ownership and USER resolve the same everywhere.
RUN groupadd --system --gid 10001 shop \
    && useradd --system --uid 10001 --gid shop --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin shop

COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

# Code, static files and bytecode belong to root: the app user can read and
# run them but not change them. Only MEDIA_ROOT (uploads) is the user's.
# .dockerignore keeps tests, benchmarks, docs, CI files and local state out.
COPY . .

# collectstatic needs settings to import; this key exists only for the build.
RUN python -m compileall -q -j 0 shop gunicorn.conf.py manage.py \
    && SECRET_KEY=collectstatic-only-not-a-secret ALLOWED_HOSTS=localhost \
       python manage.py collectstatic --noinput \
    && mkdir -p /app/media \
    && chown 10001:10001 /app/media

# Every gunicorn worker writes its metrics here; gunicorn.conf.py empties it
# at start. Set after the build steps so none of its files belong to root.
ENV PROMETHEUS_MULTIPROC_DIR=/tmp/shop-metrics

USER 10001:10001
EXPOSE 8000

# /health/live answers for any Host header (shop.core.middleware).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=2).status == 200 else 1)"]

# Migrations run once per deploy (the compose `migrate` service), never in
# every web replica.
CMD ["gunicorn", "shop.wsgi:application", "--config", "gunicorn.conf.py"]
