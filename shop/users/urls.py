from django.urls import path
from rest_framework.routers import SimpleRouter

from shop.users import views

app_name = "users"

router = SimpleRouter(trailing_slash=True)
router.register("users", views.UserViewSet, basename="user")

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="register"),
    path("auth/token/", views.TokenObtainView.as_view(), name="token"),
    path("auth/token/refresh/", views.TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/token/verify/", views.TokenVerifyView.as_view(), name="token-verify"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    path(
        "auth/password-reset/",
        views.PasswordResetView.as_view(),
        name="password-reset",
    ),
    path(
        "auth/password-reset/confirm/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("auth/verify-email/", views.EmailVerifyView.as_view(), name="verify-email"),
    path(
        "auth/verify-email/resend/",
        views.EmailVerificationResendView.as_view(),
        name="verify-email-resend",
    ),
    path(
        "auth/email-change/confirm/",
        views.EmailChangeConfirmView.as_view(),
        name="email-change-confirm",
    ),
    *router.urls,
]
