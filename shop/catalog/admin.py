from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html

from shop.catalog import services
from shop.catalog.admin_import import ProductImportAdminMixin
from shop.catalog.models import Category, Product, StockMovement
from shop.catalog.pagination import product_counts_invalidate
from shop.catalog.validators import sku_normalize, slug_normalize
from shop.core.admin_mixins import ReadOnlyAdminMixin
from shop.core.csv import csv_response
from shop.exceptions import ShopError

# Columns of the CSV export; the same format `import_products` reads.
CSV_COLUMNS = (
    "sku",
    "name",
    "price",
    "stock",
    "category_slug",
    "description",
    "is_active",
)
# Model fields staff edit directly; stock is not among them.
PRODUCT_FORM_FIELDS = (
    "name",
    "slug",
    "sku",
    "category",
    "price",
    "description",
    "is_active",
    "image",
)
RECENT_MOVEMENTS = 20
STAFF_STOCK_REASONS = [
    (StockMovement.Reason.ADJUSTMENT, StockMovement.Reason.ADJUSTMENT.label),
    (StockMovement.Reason.RESTOCK, StockMovement.Reason.RESTOCK.label),
]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "parent", "product_count")
    list_select_related = ("parent",)
    search_fields = ("name", "slug")
    autocomplete_fields = ("parent",)
    prepopulated_fields = {"slug": ("name",)}
    show_full_result_count = False

    @admin.display(description="products", ordering="product_count")
    def product_count(self, obj):
        return obj.product_count

    def get_queryset(self, request):
        # Meta.ordering is dropped from GROUP BY queries: order explicitly.
        return (
            super()
            .get_queryset(request)
            .annotate(product_count=Count("products"))
            .order_by("name", "id")
        )

    def get_actions(self, request):
        # Deleting a category must respect its products and subcategories;
        # the per-object delete page explains what blocks it.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class StockLevelFilter(admin.SimpleListFilter):
    title = "stock level"
    parameter_name = "stock_level"

    def lookups(self, request, model_admin):
        low = settings.SHOP_LOW_STOCK_THRESHOLD
        return [
            ("in", f"In stock (more than {low})"),
            ("low", f"Low (1 to {low})"),
            ("out", "Out of stock"),
        ]

    def queryset(self, request, queryset):
        low = settings.SHOP_LOW_STOCK_THRESHOLD
        match self.value():
            case "in":
                return queryset.filter(stock__gt=low)
            case "low":
                return queryset.filter(stock__gt=0, stock__lte=low)
            case "out":
                return queryset.filter(stock=0)
        return queryset


class ProductAdminForm(forms.ModelForm):
    """Product fields plus a stock change; stock itself is never typed in.

    The change is a delta applied to the locked current stock when saved, so
    sales made while the form was open are kept.
    """

    stock_change = forms.IntegerField(
        required=False,
        min_value=-services.MAX_STOCK,
        max_value=services.MAX_STOCK,
        label="Stock change",
        help_text="Units to add (positive) or remove (negative). For a new "
        "product: its initial stock.",
    )
    stock_reason = forms.ChoiceField(
        choices=STAFF_STOCK_REASONS,
        initial=StockMovement.Reason.ADJUSTMENT,
        required=False,
        label="Reason",
    )
    stock_note = forms.CharField(
        max_length=255, required=False, label="Note", help_text="E.g. a delivery."
    )

    class Meta:
        model = Product
        fields = PRODUCT_FORM_FIELDS

    def clean_sku(self):
        sku = sku_normalize(self.cleaned_data["sku"])
        taken = Product.objects.filter(sku=sku).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("A product with this SKU exists.")
        return sku

    def clean_slug(self):
        slug = slug_normalize(self.cleaned_data["slug"])
        taken = Product.objects.filter(slug=slug).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("A product with this slug exists.")
        return slug

    def clean_stock_change(self):
        delta = self.cleaned_data.get("stock_change") or 0
        current = 0
        if self.instance.pk:
            current = (
                Product.objects.filter(pk=self.instance.pk)
                .values_list("stock", flat=True)
                .first()
                or 0
            )
        if current + delta < 0:
            raise forms.ValidationError(
                f"Stock cannot go below zero (currently {current})."
            )
        if current + delta > services.MAX_STOCK:
            raise forms.ValidationError("Stock would exceed the maximum.")
        return delta


class RecentMovementsFormSet(BaseInlineFormSet):
    def get_queryset(self):
        if not hasattr(self, "_queryset"):
            self._queryset = super().get_queryset()[:RECENT_MOVEMENTS]
        return self._queryset


class StockMovementInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The product's latest movements, read-only: the ledger is append-only."""

    model = StockMovement
    formset = RecentMovementsFormSet
    fields = ("created_at", "delta", "reason", "note", "order", "user")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = f"Stock movements (latest {RECENT_MOVEMENTS})"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("order", "user")
            .order_by("-created_at", "-id")
        )


def _csv_rows(queryset):
    rows = queryset.values_list(
        "sku",
        "name",
        "price",
        "stock",
        "category__slug",
        "description",
        "is_active",
    )
    for sku, name, price, stock, slug, description, active in rows.iterator(
        chunk_size=2000
    ):
        yield [sku, name, price, stock, slug or "", description, str(active).lower()]


@admin.register(Product)
class ProductAdmin(ProductImportAdminMixin, admin.ModelAdmin):
    form = ProductAdminForm
    list_display = ("name", "sku", "category", "price", "stock", "is_active")
    list_filter = ("is_active", StockLevelFilter, "category")
    list_select_related = ("category",)
    search_fields = ("name", "sku")
    autocomplete_fields = ("category",)
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("stock", "created_at", "updated_at", "movement_history")
    inlines = (StockMovementInline,)
    actions = ("activate", "deactivate", "export_csv")
    show_full_result_count = False
    list_per_page = 50
    fieldsets = (
        (None, {"fields": ("name", "slug", "sku", "category", "price")}),
        ("Description", {"fields": ("description",)}),
        ("Image", {"fields": ("image",)}),
        (
            "Stock",
            {
                "fields": (
                    "stock",
                    "stock_change",
                    "stock_reason",
                    "stock_note",
                    "movement_history",
                )
            },
        ),
        ("Status", {"fields": ("is_active", "created_at", "updated_at")}),
    )

    @admin.display(description="history")
    def movement_history(self, obj):
        if not obj or not obj.pk:
            return "-"
        url = reverse("admin:catalog_stockmovement_changelist")
        return format_html(
            '<a href="{}?product__id__exact={}">All stock movements</a>', url, obj.pk
        )

    @admin.action(description="Activate selected products", permissions=["change"])
    def activate(self, request, queryset):
        changed = services.products_set_active(
            product_ids=queryset.values_list("pk", flat=True), is_active=True
        )
        self.message_user(request, f"{changed} product(s) activated.")

    @admin.action(description="Deactivate selected products", permissions=["change"])
    def deactivate(self, request, queryset):
        changed = services.products_set_active(
            product_ids=queryset.values_list("pk", flat=True), is_active=False
        )
        self.message_user(request, f"{changed} product(s) deactivated.")

    @admin.action(description="Export selected products as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        return csv_response(
            f"products-{stamp}.csv",
            CSV_COLUMNS,
            _csv_rows(queryset.order_by("sku")),
            content_type="text/csv",
        )

    def get_actions(self, request):
        # Products on orders are protected; the per-object delete page
        # explains that, the bulk action would only fail halfway.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        delta = form.cleaned_data.get("stock_change") or 0
        reason = (
            form.cleaned_data.get("stock_reason") or StockMovement.Reason.ADJUSTMENT
        )
        note = form.cleaned_data.get("stock_note", "")
        if not change:
            obj.stock = 0
            obj.save()
            reason = StockMovement.Reason.INITIAL
        else:
            # Never write the form's copy of stock: it may be stale.
            fields = [f for f in PRODUCT_FORM_FIELDS if f in form.changed_data]
            if fields:
                obj.save(update_fields=[*fields, "updated_at"])
        if delta:
            try:
                services.stock_adjust(
                    product_id=obj.pk,
                    delta=delta,
                    reason=reason,
                    user=request.user,
                    note=note,
                )
            except ShopError as exc:
                # Stock moved between the form check and the save.
                self.message_user(
                    request, f"Stock not changed: {exc.message}", messages.ERROR
                )
        obj.refresh_from_db(fields=["stock", "updated_at"])
        transaction.on_commit(product_counts_invalidate)


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The ledger, read-only: movements are written by the stock service."""

    list_display = ("created_at", "product", "delta", "reason", "order", "user", "note")
    list_filter = ("reason",)
    list_select_related = ("product", "order", "user")
    search_fields = ("product__sku", "product__name", "note")
    date_hierarchy = "created_at"
    show_full_result_count = False
    list_per_page = 100
