from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "shop.catalog"
    label = "catalog"
    verbose_name = "Catalogue"
    # Staff manage the catalogue fully (the "Shop staff" group; "*" means every
    # permission of this app). shop.users collects these from every app.
    staff_permissions = ("*",)
