from rest_framework import permissions


class IsStaff(permissions.BasePermission):
    """Staff accounts (admin-site users); model permissions are checked apart."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


class StaffModelPermissions(permissions.DjangoModelPermissions):
    """Staff with the Django model permission for the method.

    The same permissions the admin uses, so the "Shop staff" group grants the
    same rights in both places. Reads need `view_*`.
    """

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view):
        if not (
            request.user and request.user.is_authenticated and request.user.is_staff
        ):
            return False
        return super().has_permission(request, view)


class ReadOnlyOrStaffModelPermissions(StaffModelPermissions):
    """Anyone may read; writes need staff with the model permission."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return super().has_permission(request, view)
