from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "shop.outbox"
    label = "outbox"
    verbose_name = "Outbox"

    def ready(self) -> None:
        # Registers the publication handler.
        from . import publication  # noqa: F401
        from .metrics import metrics_register

        metrics_register()
