from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm

from shop.users.models import User


class ShopUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "username")


class ShopUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class RoleFilter(admin.SimpleListFilter):
    title = "role"
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return User.Role.choices

    def queryset(self, request, queryset):
        match self.value():
            case User.Role.ADMIN:
                return queryset.filter(is_superuser=True)
            case User.Role.STAFF:
                return queryset.filter(is_staff=True, is_superuser=False)
            case User.Role.CUSTOMER:
                return queryset.filter(is_staff=False, is_superuser=False)
        return queryset


class VerifiedFilter(admin.SimpleListFilter):
    title = "verified"
    parameter_name = "verified"

    def lookups(self, request, model_admin):
        return [("yes", "Verified"), ("no", "Unverified")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(email_verified_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(email_verified_at__isnull=True)
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = ShopUserChangeForm
    add_form = ShopUserCreationForm
    list_display = (
        "email",
        "username",
        "full_name",
        "role",
        "verified",
        "is_active",
        "date_joined",
    )
    list_filter = (RoleFilter, VerifiedFilter, "is_active", "groups")
    search_fields = ("email", "username", "first_name", "last_name")
    ordering = ("-date_joined",)
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("email", "username", "password")}),
        # Set by the customer's verification and change-confirmation links
        # (docs/accounts.md), never typed in here.
        ("Email address", {"fields": ("email_verified_at", "pending_email")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ),
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "username", "password1", "password2"),
            },
        ),
    )
    readonly_fields = (
        "last_login",
        "date_joined",
        "email_verified_at",
        "pending_email",
    )

    @admin.display(description="name")
    def full_name(self, obj):
        return obj.get_full_name()

    @admin.display(description="verified", boolean=True, ordering="email_verified_at")
    def verified(self, obj):
        return obj.email_verified_at is not None

    @admin.display(description="role")
    def role(self, obj):
        return User.Role(obj.role).label
