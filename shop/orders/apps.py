from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "shop.orders"
    label = "orders"
    verbose_name = "Orders"
    # Staff manage orders fully (the "Shop staff" group; "*" means every
    # permission of this app). shop.users collects these from every app.
    staff_permissions = ("*",)
