"""Admin building blocks shared by every app's admin."""


class ReadOnlyAdminMixin:
    """For rows only services write (ledgers, histories, snapshots): staff look.

    Works on ModelAdmin and on inlines (whose permission hooks take `obj`).
    Viewing still needs the model's view permission.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
