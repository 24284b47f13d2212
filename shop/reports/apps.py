from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ReportsConfig(AppConfig):
    # Two configs live here; this one is what "shop.reports" means.
    default = True
    name = "shop.reports"
    label = "reports"
    verbose_name = "Reports"


class ShopAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with the shop's site (key figures, Reports page)."""

    default = False
    default_site = "shop.reports.admin_site.ShopAdminSite"
