"""The admin login page's "Forgotten your password?" flow: Django's views.

Mounted by shop/urls.py ahead of the admin; the link on the login page
appears because `admin_password_reset` resolves.
"""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from shop.core.throttling import AuthRateThrottle, throttle_wait
from shop.core.views import form_throttled
from shop.users.forms import StaffPasswordResetForm, StaffSetPasswordForm


class _AdminPageMixin:
    # Site header, title and links of the admin around Django's templates.
    def get_context_data(self, **kwargs):
        return {
            **admin.site.each_context(self.request),
            **super().get_context_data(**kwargs),
        }


class PasswordResetView(_AdminPageMixin, auth_views.PasswordResetView):
    form_class = StaffPasswordResetForm

    def post(self, request, *args, **kwargs):
        # Counted like the API's reset (`auth` scope, per client address).
        wait = throttle_wait(request, AuthRateThrottle())
        if wait is not None:
            return form_throttled(request, wait)
        return super().post(request, *args, **kwargs)


class PasswordResetDoneView(_AdminPageMixin, auth_views.PasswordResetDoneView):
    pass


class PasswordResetConfirmView(_AdminPageMixin, auth_views.PasswordResetConfirmView):
    form_class = StaffSetPasswordForm


class PasswordResetCompleteView(_AdminPageMixin, auth_views.PasswordResetCompleteView):
    pass


urlpatterns = [
    path(
        "admin/password_reset/",
        PasswordResetView.as_view(),
        name="admin_password_reset",
    ),
    path(
        "admin/password_reset/done/",
        PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
