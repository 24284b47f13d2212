from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_shop_staff_group(**kwargs):
    from shop.users.services import shop_staff_group_sync

    shop_staff_group_sync()


class UsersConfig(AppConfig):
    name = "shop.users"
    label = "users"
    verbose_name = "Users"
    # Staff may look users up (the "Shop staff" group; "*" means every
    # permission of this app). shop.users collects these from every app.
    staff_permissions = ("view_user",)

    def ready(self):
        # A module-level function: signals hold receivers weakly, so a lambda
        # would be collected at once and never run. Sent once per app, so
        # permissions of apps migrated after this one are granted too.
        post_migrate.connect(_sync_shop_staff_group, dispatch_uid="shop_staff_group")
        # Registers the account mails as outbox handlers.
        from shop.users import notifications  # noqa: F401
