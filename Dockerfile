# syntax=docker/dockerfile:1
FROM python:3.12-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=shop.settings.prod

WORKDIR /app

RUN groupadd --system shop && useradd --system --gid shop --home-dir /app shop

COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY --chown=shop:shop . .

# collectstatic needs settings to import; this key exists only for the build.
RUN SECRET_KEY=collectstatic-only-not-a-secret ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/media && chown -R shop:shop /app/staticfiles /app/media

USER shop
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health/live').status == 200 else 1)"

CMD ["gunicorn", "shop.wsgi:application", "--config", "gunicorn.conf.py"]
