from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer

from shop.users.models import User, normalize_email_address

LOGIN_FAILED = "No active account found with these credentials."


class UserSerializer(serializers.ModelSerializer):
    role = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "username",
            "first_name",
            "last_name",
            "role",
            "date_joined",
        ]
        read_only_fields = fields


class UserRegisterInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128)
    username = serializers.CharField(max_length=150, required=False, allow_blank=False)
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
        probe = User(
            email=attrs["email"],
            username=attrs.get("username", attrs["email"]),
            first_name=attrs.get("first_name", ""),
            last_name=attrs.get("last_name", ""),
        )
        try:
            password_validation.validate_password(attrs["password"], user=probe)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


class UserMeUpdateSerializer(serializers.ModelSerializer):
    """Profile fields a user may change about themselves; nothing else."""

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name"]
        extra_kwargs = {"username": {"required": False}}

    def validate_username(self, value):
        taken = User.objects.filter(username__iexact=value).exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError("This username is taken.")
        return value


class PasswordChangeInputSerializer(serializers.Serializer):
    old_password = serializers.CharField(max_length=128)
    new_password = serializers.CharField(max_length=128)


class LogoutInputSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class TokenObtainSerializer(TokenObtainPairSerializer):
    """Email + password → access and refresh; one message for any failure."""

    default_error_messages = {"no_active_account": LOGIN_FAILED}

    def validate(self, attrs):
        attrs[self.username_field] = normalize_email_address(attrs[self.username_field])
        try:
            return super().validate(attrs)
        except AuthenticationFailed as exc:
            raise AuthenticationFailed(LOGIN_FAILED, "no_active_account") from exc


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
