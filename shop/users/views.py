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
from shop.core.throttling import AuthRateThrottle
from shop.users import selectors, services
from shop.users.filters import UserFilter
from shop.users.serializers import (
    LogoutInputSerializer,
    PasswordChangeInputSerializer,
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
        responses={200: UserSerializer},
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
            payload.save()
        return Response(UserSerializer(request.user).data)

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
