"""Forms of the admin's password reset pages (Django's views, our side effects)."""

from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm

from shop.users import services


class StaffPasswordResetForm(PasswordResetForm):
    """Django's form; the mail is an outbox event sent by a worker.

    Only staff accounts are mailed (customers reset through the API and the
    front end); any address gets the same "check your mail" page.
    """

    def save(self, *, request, **kwargs):
        services.user_password_reset_request(
            email=self.cleaned_data["email"],
            site_url=request.build_absolute_uri("/"),
        )


class StaffSetPasswordForm(SetPasswordForm):
    """Django's form; the password is set through the one revoking path."""

    def save(self, commit=True):
        services.user_password_set(
            user=self.user, new_password=self.cleaned_data["new_password1"]
        )
        return self.user
