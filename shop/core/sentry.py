"""Error tracking: Sentry, switched on by SENTRY_DSN (see shop/settings/base.py)."""

from __future__ import annotations


def sentry_init(*, dsn: str, environment: str = "", release: str = "") -> bool:
    """Report unhandled errors to Sentry when a DSN is given; say whether it did.

    No personal data leaves the process: with neither `send_default_pii`
    (deprecated, and warning when passed) nor `data_collection` given, the
    SDK keeps user ids, e-mail addresses, client IPs, cookies and auth
    headers out of events (tested against a real ingest endpoint).
    Celery's integration joins when celery is installed (workers' task errors).
    """
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations import DidNotEnable, Integration
    from sentry_sdk.integrations.django import DjangoIntegration

    integrations: list[Integration] = [DjangoIntegration()]
    try:
        from sentry_sdk.integrations.celery import CeleryIntegration
    except (ImportError, DidNotEnable):
        pass
    else:
        integrations.append(CeleryIntegration())
    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=integrations,
    )
    return True
