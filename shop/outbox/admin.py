from django.contrib import admin
from django.utils.text import Truncator

from .models import Delivery, OutboxEvent
from .services import deliveries_retry


class PublishedFilter(admin.SimpleListFilter):
    title = "published"
    parameter_name = "published"

    def lookups(self, request, model_admin):
        return [("yes", "Published"), ("no", "Unpublished")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(published_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(published_at__isnull=True)
        return queryset


class DeliveryInline(admin.TabularInline):
    model = Delivery
    readonly_fields = ("handler", "state", "attempts", "next_attempt_at", "done_at")
    fields = readonly_fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    """Events are written by services; staff look at them and their deliveries."""

    list_display = ["created_at", "type", "aggregate", "published_at"]
    list_filter = [PublishedFilter, "type", "aggregate_type"]
    search_fields = ["=id", "=aggregate_id", "type"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    readonly_fields = [
        "id",
        "type",
        "aggregate_type",
        "aggregate_id",
        "payload",
        "created_at",
        "published_at",
    ]
    inlines = [DeliveryInline]

    @admin.display(description="aggregate", ordering="aggregate_id")
    def aggregate(self, obj):
        return f"{obj.aggregate_type}:{obj.aggregate_id}"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Workers run deliveries; staff watch the failed ones and retry them."""

    list_display = [
        "created_at",
        "handler",
        "event_type",
        "aggregate",
        "state",
        "attempts",
        "next_attempt_at",
        "error",
    ]
    list_filter = ["state", "handler", "event__type"]
    list_select_related = ["event"]
    search_fields = ["=event__id", "=event__aggregate_id", "handler"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    readonly_fields = (
        "event",
        "handler",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "updated_at",
        "done_at",
    )
    fields = readonly_fields
    actions = ["retry"]

    @admin.display(description="event", ordering="event__type")
    def event_type(self, obj):
        return obj.event.type

    @admin.display(description="aggregate", ordering="event__aggregate_id")
    def aggregate(self, obj):
        return f"{obj.event.aggregate_type}:{obj.event.aggregate_id}"

    @admin.display(description="last error")
    def error(self, obj):
        return Truncator(obj.last_error).chars(80)

    @admin.action(description="Retry selected deliveries now", permissions=["change"])
    def retry(self, request, queryset):
        count = deliveries_retry(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request, f"{count} delivery(ies) set back to pending and queued."
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
