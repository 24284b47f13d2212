from django.contrib import admin

from .models import OutboxEvent


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


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    """Events are written by services and stamped by the relay; staff only look."""

    list_display = [
        "created_at",
        "type",
        "aggregate",
        "published_at",
        "attempts",
        "next_attempt_at",
    ]
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
        "attempts",
        "last_error",
        "next_attempt_at",
    ]
    actions = ["retry_now"]

    @admin.display(description="aggregate", ordering="aggregate_id")
    def aggregate(self, obj):
        return f"{obj.aggregate_type}:{obj.aggregate_id}"

    @admin.action(description="Retry selected unpublished events now")
    def retry_now(self, request, queryset):
        count = queryset.filter(published_at__isnull=True).update(next_attempt_at=None)
        self.message_user(request, f"{count} event(s) will be retried on the next run.")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Viewing only; the changelist action above needs the view permission.
        return False

    def has_delete_permission(self, request, obj=None):
        return False
