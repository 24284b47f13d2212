from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "shop.orders"
    label = "orders"
    verbose_name = "Orders"

    def ready(self):
        # Registers the customer mails as outbox handlers.
        from shop.orders.services import notifications  # noqa: F401
