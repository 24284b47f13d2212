from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "shop.outbox"
    label = "outbox"
    verbose_name = "Outbox"

    def ready(self):
        # Registers the publication handler.
        from . import publication  # noqa: F401
