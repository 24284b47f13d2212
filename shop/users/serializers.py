from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.validators import RegexValidator
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.serializers import (
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
)
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from shop.core.strict import StrictJSONMixin
from shop.users.models import User, normalize_email_address

LOGIN_FAILED = "No active account found with these credentials."


def _password_min_length() -> int:
    return max(
        (
            validator.min_length
            for validator in password_validation.get_default_password_validators()
            if isinstance(validator, password_validation.MinimumLengthValidator)
        ),
        default=1,
    )


def new_password_field() -> serializers.CharField:
    """A new password as the schema can state Django's validators.

    Length and "not entirely numeric" are in the schema; the common-password
    list and the similarity to the user's own details are not expressible
    there and stay a 400 from `user_register` / `user_change_password`.
    """
    return serializers.CharField(
        write_only=True,
        min_length=_password_min_length(),
        max_length=128,
        trim_whitespace=False,
        validators=[
            RegexValidator(
                "^[^\\u0000]*[^0-9\\u0000][^\\u0000]*$",
                "This password is entirely numeric.",
            )
        ],
        help_text="Checked by the password validators: at least "
        f"{_password_min_length()} characters, not entirely numeric, not a "
        "common password, not too similar to the email or names.",
    )


class UserSerializer(serializers.ModelSerializer):
    role = serializers.CharField(read_only=True)
    email_verified = serializers.BooleanField(
        source="is_email_verified",
        read_only=True,
        help_text="Whether the login address has been confirmed by its link.",
    )
    pending_email = serializers.EmailField(
        read_only=True,
        help_text="A new login address waiting for confirmation; empty if none.",
    )

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "username",
            "first_name",
            "last_name",
            "role",
            "email_verified",
            "pending_email",
            "date_joined",
        ]
        read_only_fields = fields


class UserRegisterInputSerializer(StrictJSONMixin, serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = new_password_field()
    username = serializers.CharField(
        max_length=150,
        required=False,
        allow_blank=False,
        validators=[UnicodeUsernameValidator()],
    )
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)

    def validate_email(self, value):
        email = normalize_email_address(value)
        if User.objects.filter(email=email).exists():
            raise serializers.ValidationError("An account with this email exists.")
        return email

    def validate_username(self, value):
        if User.objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError("This username is taken.")
        return value

    def validate(self, attrs):
        # Without a username the email becomes one (see user_register), so it
        # must fit the username column and be free, or the insert would fail.
        if "username" not in attrs:
            email = attrs["email"]
            if len(email) > User._meta.get_field("username").max_length:
                raise serializers.ValidationError(
                    {
                        "username": [
                            "This email is too long to be a username; choose one."
                        ]
                    }
                )
            if User.objects.filter(username__iexact=email).exists():
                raise serializers.ValidationError(
                    {"username": ["This username is taken; choose another."]}
                )
        # The password validators run in user_register, which reports them
        # under `password`.
        return attrs


class UserMeUpdateSerializer(StrictJSONMixin, serializers.ModelSerializer):
    """Profile fields a user may change about themselves; nothing else.

    `email` does not change the login address: it starts an e-mail change
    (the view calls user_email_change_request), done when the new address
    opens its confirmation link.
    """

    email = serializers.EmailField(
        max_length=254,
        required=False,
        write_only=True,
        help_text="New login address: held as `pending_email` until the link "
        "mailed to it is opened; the current address is kept until then.",
    )

    class Meta:
        model = User
        fields = ["email", "username", "first_name", "last_name"]
        extra_kwargs = {"username": {"required": False}}

    def validate_email(self, value):
        return normalize_email_address(value)

    def validate_username(self, value):
        taken = User.objects.filter(username__iexact=value).exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError("This username is taken.")
        return value

    def update(self, instance, validated_data):
        # The address changes only through user_email_change_confirm.
        validated_data.pop("email", None)
        return super().update(instance, validated_data)


class PasswordChangeInputSerializer(StrictJSONMixin, serializers.Serializer):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = new_password_field()


class PasswordResetRequestInputSerializer(StrictJSONMixin, serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class AcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField(
        help_text="The same text whether or not an account has this address."
    )


class LinkInputSerializer(StrictJSONMixin, serializers.Serializer):
    """The two query parameters of a link from an account mail."""

    uid = serializers.CharField(
        max_length=64, trim_whitespace=False, help_text="`uid` of the link."
    )
    token = serializers.CharField(max_length=128, help_text="`token` of the link.")


class PasswordResetConfirmInputSerializer(LinkInputSerializer):
    new_password = new_password_field()


class LogoutInputSerializer(StrictJSONMixin, serializers.Serializer):
    refresh = serializers.CharField()


class TokenObtainSerializer(StrictJSONMixin, TokenObtainPairSerializer):
    """Email + password → access and refresh; one message for any failure."""

    default_error_messages = {"no_active_account": LOGIN_FAILED}

    def validate(self, attrs):
        attrs[self.username_field] = normalize_email_address(attrs[self.username_field])
        try:
            return super().validate(attrs)
        except AuthenticationFailed as exc:
            raise AuthenticationFailed(LOGIN_FAILED, "no_active_account") from exc


class TokenRotateSerializer(StrictJSONMixin, TokenRefreshSerializer):
    """Refresh → new pair; the used refresh token is spent exactly once.

    simplejwt's own serializer crashes (500) when the token's user was deleted,
    and lets two concurrent requests with one token both get a new pair.
    """

    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])
        user_id = refresh.payload.get(jwt_settings.USER_ID_CLAIM)
        user = User.objects.filter(**{jwt_settings.USER_ID_FIELD: user_id}).first()
        if not jwt_settings.USER_AUTHENTICATION_RULE(user):
            raise AuthenticationFailed(
                self.error_messages["no_active_account"], "no_active_account"
            )
        # The blacklist row is unique per token: only the request that creates
        # it may rotate; a concurrent reuse finds the row and is refused.
        _, created = refresh.blacklist()
        if not created:
            raise InvalidToken("Token is blacklisted")
        refresh.set_jti()
        refresh.set_exp()
        refresh.set_iat()
        refresh.outstand()
        return {"access": str(refresh.access_token), "refresh": str(refresh)}


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
