"""Who may see and manage orders, in one place for the API and the services."""

from django.contrib.auth.models import AnonymousUser
from rest_framework import permissions

from shop.users.models import User


def user_manages_orders(user: User | AnonymousUser) -> bool:
    """Staff holding the model permission the admin uses to change orders."""
    return bool(
        user
        and user.is_authenticated
        and user.is_staff
        and user.has_perm("orders.change_order")
    )


def user_sees_all_orders(user: User | AnonymousUser) -> bool:
    """Staff holding the permission to view every order."""
    return bool(
        user
        and user.is_authenticated
        and user.is_staff
        and user.has_perm("orders.view_order")
    )


class ManagesOrders(permissions.BasePermission):
    """Staff with `orders.change_order`: the same right the admin checks."""

    def has_permission(self, request, view):
        return user_manages_orders(request.user)
