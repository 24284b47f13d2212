from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenVerifySerializer
from rest_framework_simplejwt.tokens import RefreshToken

from shop.core.permissions import StaffModelPermissions
from shop.core.schema import ErrorSerializer
from shop.core.throttling import AuthRateThrottle
from shop.users import selectors, services
from shop.users.filters import UserFilter
from shop.users.serializers import (
    AcceptedSerializer,
    LinkInputSerializer,
    LogoutInputSerializer,
    PasswordChangeInputSerializer,
    PasswordResetConfirmInputSerializer,
    PasswordResetRequestInputSerializer,
    TokenPairSerializer,
    TokenRotateSerializer,
    UserMeUpdateSerializer,
    UserRegisterInputSerializer,
    UserSerializer,
)


class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AuthRateThrottle]
    schema_links = {"post": {"GetUser": ("users_retrieve", "id")}}

    @extend_schema(
        request=UserRegisterInputSerializer,
        responses={201: UserSerializer},
        summary="Create a customer account",
    )
    def post(self, request):
        payload = UserRegisterInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = services.user_register(**payload.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


@extend_schema(responses={200: TokenPairSerializer}, summary="Log in with email")
class TokenObtainView(jwt_views.TokenObtainPairView):
    throttle_classes = [AuthRateThrottle]


@extend_schema(
    responses={200: TokenPairSerializer},
    summary="Swap a refresh token for a new pair; the old one stops working",
)
class TokenRefreshView(jwt_views.TokenRefreshView):
    serializer_class = TokenRotateSerializer
    throttle_classes = [AuthRateThrottle]


class _StrictTokenVerifySerializer(TokenVerifySerializer):
    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except ValidationError as exc:
            # simplejwt reports a blacklisted token as 400; it is a bad token.
            raise InvalidToken("Token is blacklisted") from exc


@extend_schema(
    responses={200: OpenApiResponse(description="The token is valid.")},
    summary="Check a token's signature, expiry and blacklist",
)
class TokenVerifyView(jwt_views.TokenVerifyView):
    serializer_class = _StrictTokenVerifySerializer


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=LogoutInputSerializer,
        responses={204: None},
        summary="Revoke a refresh token",
    )
    def post(self, request):
        payload = LogoutInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            token = RefreshToken(payload.validated_data["refresh"])
        except TokenError as exc:
            # As simplejwt's own views: a bad token is 401 `token_not_valid`.
            raise InvalidToken(str(exc)) from exc
        if str(token.get("user_id")) != str(request.user.pk):
            raise ValidationError({"refresh": ["This token is not yours."]})
        token.blacklist()
        return Response(status=status.HTTP_204_NO_CONTENT)


PASSWORD_RESET_ACCEPTED = (
    "If an account uses this address, a link to choose a new password is on "
    "its way there."
)


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


class PasswordResetView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        request=PasswordResetRequestInputSerializer,
        responses={
            202: AcceptedSerializer,
            400: _error("`validation_error`: not an email address."),
        },
        summary="Mail a password reset link",
        description=(
            "Answers 202 with the same body whether or not an account uses the "
            "address; a worker mails the link "
            "(`{FRONTEND_URL}/reset-password?uid=…&token=…`), valid once and "
            "for `PASSWORD_RESET_TIMEOUT` seconds. Throttled (`auth` scope); "
            "past `ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR` mails to one address in "
            "an hour the answer is the same and nothing is mailed."
        ),
    )
    def post(self, request):
        payload = PasswordResetRequestInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.user_password_reset_request(email=payload.validated_data["email"])
        return Response(
            {"detail": PASSWORD_RESET_ACCEPTED}, status=status.HTTP_202_ACCEPTED
        )


class PasswordResetConfirmView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        request=PasswordResetConfirmInputSerializer,
        responses={
            204: OpenApiResponse(
                description="Password set; every earlier token is revoked."
            ),
            400: _error(
                "`password_reset_link_invalid`: the link names no account, or "
                "is expired or already used. `validation_error`: `uid` or "
                "`token` not shaped as the schema says, or the new password "
                "fails the password rules (`extra.fields`)."
            ),
        },
        summary="Set a new password from a reset link",
    )
    def post(self, request):
        payload = PasswordResetConfirmInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.user_password_reset_confirm(**payload.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailVerifyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        request=LinkInputSerializer,
        responses={
            204: OpenApiResponse(description="The address is verified."),
            400: _error(
                "`email_verification_link_invalid`: names no account, expired "
                "or already used. `validation_error`: `uid` or `token` missing "
                "or not shaped as the schema says."
            ),
        },
        summary="Verify the account's address from its verification link",
    )
    def post(self, request):
        payload = LinkInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.user_email_verify(**payload.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailVerificationResendView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [AuthRateThrottle]
    schema_error_codes = ("409",)

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="A new verification mail is queued."),
            409: _error("`email_already_verified`."),
            429: _error(
                "`throttled` (`auth` scope), or `mail_limit`: the address got "
                "`ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR` account mails this hour. "
                "Retry-After says when to try again."
            ),
        },
        summary="Mail the verification link again",
    )
    def post(self, request):
        services.user_email_verification_resend(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailChangeConfirmView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        request=LinkInputSerializer,
        responses={
            204: OpenApiResponse(
                description="The pending address is now the login address; "
                "the old address is told by mail."
            ),
            400: _error(
                "`email_change_link_invalid`: names no account, expired, "
                "already used or replaced by a newer change. `validation_error`: "
                "`uid` or `token` missing or not shaped as the schema says. "
                "`email_taken`: another account took the address since it was "
                "asked for."
            ),
        },
        summary="Confirm a new login address from its link",
    )
    def post(self, request):
        payload = LinkInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.user_email_change_confirm(**payload.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Staff look-up of accounts; every user reads and edits `me`."""

    serializer_class = UserSerializer
    permission_classes = [StaffModelPermissions]
    filterset_class = UserFilter

    def get_queryset(self):
        return selectors.user_list()

    @extend_schema(
        methods=["PATCH"],
        request=UserMeUpdateSerializer,
        responses={
            200: UserSerializer,
            400: _error(
                "`validation_error`: e.g. a username or `email` another account "
                "uses (`extra.fields`)."
            ),
        },
        description=(
            "Profile fields change at once. A new `email` only becomes "
            "`pending_email` and is mailed a confirmation link "
            "(`POST auth/email-change/confirm/`); sending the current address "
            "withdraws a pending change. Requests with `email` are throttled "
            "in the `auth` scope, and one address gets at most "
            "`ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR` account mails an hour: "
            "beyond that 429 `mail_limit` with Retry-After, and nothing changes."
        ),
    )
    @extend_schema(methods=["GET"], responses={200: UserSerializer})
    # Permissions set on the route, not per action, so a method the route
    # lacks (PUT, DELETE) gives 405 instead of the staff check's 403.
    @action(
        detail=False,
        methods=["get", "patch"],
        url_path="me",
        filterset_class=None,
        permission_classes=[IsAuthenticated],
    )
    def me(self, request):
        if request.method == "PATCH":
            payload = UserMeUpdateSerializer(
                request.user, data=request.data, partial=True
            )
            payload.is_valid(raise_exception=True)
            new_email = payload.validated_data.get("email")
            if new_email is not None:
                # Each request mails an address of the caller's choosing.
                self._throttle(request, AuthRateThrottle())
                services.user_email_change_request(
                    user=request.user, new_email=new_email
                )
                request.user.refresh_from_db(fields=["pending_email"])
            payload.save()
        return Response(UserSerializer(request.user).data)

    def _throttle(self, request, throttle) -> None:
        if not throttle.allow_request(request, self):
            self.throttled(request, throttle.wait())

    @extend_schema(request=PasswordChangeInputSerializer, responses={204: None})
    @action(
        detail=False,
        methods=["post"],
        url_path="me/password",
        filterset_class=None,
        pagination_class=None,
        permission_classes=[IsAuthenticated],
    )
    def password(self, request):
        payload = PasswordChangeInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.user_change_password(user=request.user, **payload.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
