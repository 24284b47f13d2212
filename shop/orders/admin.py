from django.contrib import admin, messages
from django.contrib.admin.helpers import AdminForm
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models.functions import Lower
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from shop.core.admin_mixins import ReadOnlyAdminMixin
from shop.core.csv import csv_response
from shop.exceptions import ShopError
from shop.orders import services
from shop.orders.admin_changelist import (
    EstimatedCountPaginator,
    with_cheap_date_hierarchy,
)
from shop.orders.admin_forms import OrderLineFormSet, OrderPlaceForm
from shop.orders.models import Order, OrderItem, OrderStatusChange

Status = Order.Status


class OrderItemInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderItem
    fields = (
        "product",
        "product_name",
        "product_sku",
        "unit_price",
        "quantity",
        "line_total",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")


class OrderStatusChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderStatusChange
    verbose_name = "status change"
    verbose_name_plural = "status history"
    fields = ("created_at", "from_status", "to_status", "changed_by", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "customer_email",
        "status",
        "total",
        "item_count",
        "created_at",
    )
    list_display_links = ("id",)
    list_filter = ("status", "created_at")
    date_hierarchy = "created_at"
    search_fields = ("=customer__email",)
    search_help_text = "Order number, or the customer's exact email address."
    list_select_related = ("customer",)
    list_per_page = 50
    # COUNT(*) over a million orders on every page load is what makes
    # changelists slow; Django then shows "Show all" instead of the total.
    show_full_result_count = False
    # ... and the paginator's own COUNT(*) of the unfiltered list is the
    # planner's estimate; the date hierarchy lists years and months from
    # index look-ups instead of a DISTINCT over the table (admin_changelist).
    paginator = EstimatedCountPaginator
    ordering = ("-created_at", "-id")
    # Status changes only through the workflow actions below, which keep the
    # stock and history right; customer, lines and total are facts of checkout.
    fields = (
        "customer",
        "status",
        "total",
        "shipping_address",
        "note",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("customer", "status", "total", "created_at", "updated_at")
    inlines = (OrderItemInline, OrderStatusChangeInline)
    actions = (
        "mark_processing",
        "mark_shipped",
        "mark_delivered",
        "cancel_orders",
        "export_csv",
    )

    @admin.display(description="customer", ordering="customer__email")
    def customer_email(self, order):
        return order.customer.email

    @admin.action(
        description="Mark selected orders as processing", permissions=["change"]
    )
    def mark_processing(self, request, queryset):
        self._move(request, queryset, Status.PROCESSING)

    @admin.action(description="Mark selected orders as shipped", permissions=["change"])
    def mark_shipped(self, request, queryset):
        self._move(request, queryset, Status.SHIPPED)

    @admin.action(
        description="Mark selected orders as delivered", permissions=["change"]
    )
    def mark_delivered(self, request, queryset):
        self._move(request, queryset, Status.DELIVERED)

    @admin.action(
        description="Cancel selected orders and restock", permissions=["change"]
    )
    def cancel_orders(self, request, queryset):
        self._move(request, queryset, Status.CANCELLED)

    @admin.action(description="Export selected orders as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        rows = (
            queryset.order_by("pk")
            .values_list(
                "pk",
                "created_at",
                "customer__email",
                "status",
                "total",
                "item_count",
                "shipping_address",
            )
            .iterator(chunk_size=2000)
        )
        header = [
            "id",
            "created_at",
            "customer_email",
            "status",
            "total",
            "items",
            "shipping_address",
        ]
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        return csv_response(f"orders-{stamp}.csv", header, rows)

    def get_queryset(self, request):
        return with_cheap_date_hierarchy(super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().lstrip("#")
        if term.isdigit() and len(term) <= 18:
            return queryset.filter(pk=int(term)), False
        if "@" in term:
            # Find the customer first, through the lower(email) unique index:
            # filtering the join instead made PostgreSQL walk every order by
            # date looking for theirs (~0.8 s on a million orders).
            customers = (
                get_user_model()
                .objects.annotate(email_lower=Lower("email"))
                .filter(email_lower=term.lower())
                .values_list("pk", flat=True)
            )
            return queryset.filter(customer_id__in=list(customers)), False
        return super().get_search_results(request, queryset, search_term.strip())

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Deleting orders would lose their stock ledger and history; cancel.
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        # Only a cancelled order may go: its stock is back and its ledger rows
        # stay (they lose the link), so stock still equals the ledger. Live
        # orders are cancelled, never deleted.
        if obj is None or obj.status != Status.CANCELLED:
            return False
        return super().has_delete_permission(request, obj)

    def add_view(self, request, form_url="", extra_context=None):
        """Place an order for a customer through the checkout service."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = OrderPlaceForm(request.POST)
            lines = OrderLineFormSet(request.POST, prefix="lines")
            if form.is_valid() and lines.is_valid():
                order = self._place(request, form, lines)
                if order is not None:
                    self.message_user(
                        request, f"Order #{order.pk} placed.", messages.SUCCESS
                    )
                    return HttpResponseRedirect(
                        reverse("admin:orders_order_change", args=[order.pk])
                    )
        else:
            form = OrderPlaceForm()
            lines = OrderLineFormSet(prefix="lines")
        fieldsets = [(None, {"fields": list(form.base_fields)})]
        context = {
            **self.admin_site.each_context(request),
            "title": "Place an order",
            "opts": self.model._meta,
            "adminform": AdminForm(form, fieldsets, {}),
            "lines": lines,
            "media": self.media + form.media + lines.media,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/orders/order/place_order.html", context)

    def _place(self, request, form, lines):
        wanted = [
            services.LineRequest(
                product_id=line["product"].pk, quantity=line["quantity"]
            )
            for line in lines.cleaned_data
            if line and not line.get("DELETE")
        ]
        try:
            return services.order_place(
                customer=form.cleaned_data["customer"],
                lines=wanted,
                shipping_address=form.cleaned_data["shipping_address"],
                note=form.cleaned_data["note"],
            )
        except ShopError as exc:
            form.add_error(None, exc.message)
            for line in exc.extra.get("lines", []):
                form.add_error(
                    None,
                    f"Product {line['product']}: {line['requested']} wanted, "
                    f"{line['available']} in stock.",
                )
            return None

    def _move(self, request, queryset, to_status: str) -> None:
        moved, refused = [], []
        for order_id in queryset.order_by("pk").values_list("pk", flat=True):
            try:
                services.order_transition(
                    order_id=order_id,
                    to_status=to_status,
                    by_user=request.user,
                    note="admin action",
                )
            except ShopError as exc:
                refused.append(f"#{order_id} ({exc.message})")
            else:
                moved.append(order_id)
        if moved:
            self.message_user(
                request,
                f"{len(moved)} order(s) moved to {to_status}.",
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                f"{len(refused)} order(s) not moved to {to_status}: "
                + "; ".join(refused[:20])
                + (" …" if len(refused) > 20 else ""),
                messages.WARNING,
            )
