from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    # Two configs live here; this one is what "shop.core" means.
    default = True
    name = "shop.core"
    label = "core"
    verbose_name = "Platform"


class ShopAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with the shop's site (key figures, Reports page)."""

    default = False
    default_site = "shop.core.admin_site.ShopAdminSite"
