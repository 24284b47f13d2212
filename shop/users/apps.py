from django.apps import AppConfig
from django.db.models.signals import post_migrate


class UsersConfig(AppConfig):
    name = "shop.users"
    label = "users"
    verbose_name = "Users"

    def ready(self):
        from shop.users.services import shop_staff_group_sync

        post_migrate.connect(
            lambda **kwargs: shop_staff_group_sync(), dispatch_uid="shop_staff_group"
        )
