"""Error tracking: Sentry, switched on by SENTRY_DSN (see shop/settings/base.py)."""

from __future__ import annotations


def sentry_init(*, dsn: str, environment: str = "", release: str = "") -> bool:
    """Report unhandled errors to Sentry when a DSN is given; say whether it did.

    No personal data leaves the process: send_default_pii=False keeps user
    ids, e-mail addresses, client IPs, cookies and auth headers out of events.
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
        send_default_pii=False,
    )
    return True
