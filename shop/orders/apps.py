from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "shop.orders"
    label = "orders"
    verbose_name = "Orders"
    # Staff manage orders fully (the "Shop staff" group; "*" means every
    # permission of this app). shop.users collects these from every app.
    staff_permissions = ("*",)

    def ready(self):
        # Registers the customer mails as outbox handlers.
        from shop.orders.services import notifications  # noqa: F401
