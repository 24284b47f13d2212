from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shop.core.schema import ErrorSerializer
from shop.orders import selectors, services
from shop.orders.filters import OrderFilter
from shop.orders.models import Order
from shop.orders.pagination import OrderPagination
from shop.orders.permissions import ManagesOrders
from shop.orders.serializers import (
    OrderPlaceInputSerializer,
    OrderSerializer,
    OrderStatusInputSerializer,
    OrderSummarySerializer,
)
from shop.orders.services.idempotency import KEY_PATTERN, MAX_KEY_LENGTH
from shop.users.permissions import HasVerifiedEmail

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name="Idempotency-Key",
    type={
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        "pattern": KEY_PATTERN,
    },
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Up to 255 printable ASCII characters, no surrounding spaces. "
        "Retrying with the same key and body returns the first response "
        "(same status and body, header `Idempotent-Replayed: true`) without "
        "placing a second order; the same key with another body is 422; while "
        "the first request runs, 409. Keys are kept 24 hours."
    ),
)


@extend_schema_view(
    list=extend_schema(
        summary="List orders",
        description=(
            "The caller's orders (staff: every order), newest first by "
            "`(created_at, id)`. Pages by `limit`/`offset` with an exact `count`, "
            "or, from `paginate=cursor` on, by the opaque `cursor` of the "
            "`next`/`previous` links with `count` null: a cursor page costs the "
            "same at any depth, an offset page reads every row before it. "
            "Filters apply in both modes."
        ),
    )
)
class OrderViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Customers' orders; staff see and manage all of them."""

    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    pagination_class = OrderPagination
    # Ids beyond 64 bits are a 404 from the router, not a database error.
    lookup_value_regex = "[0-9]{1,18}"
    # OpenAPI links: what a client can do next with the order it placed.
    schema_links = {
        "create": {
            "GetOrder": ("orders_retrieve", "id"),
            "CancelOrder": ("orders_cancel_create", "id"),
            "SetOrderStatus": ("orders_status_create", "id"),
        },
    }

    @property
    def schema_error_codes(self):
        return {
            "create": ("409", "422"),
            "cancel": ("409",),
            "set_status": ("409",),
        }.get(self.action, ())

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Order.objects.none()
        return selectors.order_list_for(user=self.request.user)

    def get_permissions(self):
        if self.action == "set_status":
            return [*super().get_permissions(), ManagesOrders()]
        if self.action == "create":
            # 403 `email_unverified` while REQUIRE_VERIFIED_EMAIL is on.
            return [*super().get_permissions(), HasVerifiedEmail()]
        return super().get_permissions()

    @extend_schema(
        request=OrderPlaceInputSerializer,
        responses={
            201: OrderSerializer,
            403: OpenApiResponse(
                ErrorSerializer,
                description="`email_unverified`: REQUIRE_VERIFIED_EMAIL is on "
                "and the caller's address is not verified.",
            ),
        },
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        summary="Place an order",
    )
    def create(self, request):
        key = services.idempotency_key_check(request.headers.get("Idempotency-Key"))
        payload = OrderPlaceInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)

        def place():
            order = services.order_place(
                customer=request.user, **payload.service_kwargs()
            )
            return status.HTTP_201_CREATED, OrderSerializer(order).data, order

        if key is None:
            code, body, _ = place()
            return Response(body, status=code)
        result = services.idempotent_run(
            user=request.user,
            key=key,
            request_hash=services.request_fingerprint(request.data),
            produce=place,
        )
        headers = {"Idempotent-Replayed": "true"} if result.replayed else None
        return Response(result.body, status=result.status, headers=headers)

    @extend_schema(request=None, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = services.order_cancel(order_id=int(pk), by_user=request.user)
        return Response(self._render(order.pk))

    @extend_schema(request=OrderStatusInputSerializer, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        payload = OrderStatusInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        order = services.order_transition(
            order_id=int(pk),
            to_status=payload.validated_data["status"],
            by_user=request.user,
        )
        return Response(self._render(order.pk))

    @extend_schema(responses={200: OrderSummarySerializer}, filters=False)
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def summary(self, request):
        """The caller's own order count, spend and order dates."""
        summary = selectors.customer_summary(customer_id=request.user.pk)
        return Response(OrderSummarySerializer(summary).data)

    def _render(self, order_id: int) -> dict:
        # The service has already checked the caller's rights on this order.
        return OrderSerializer(selectors.order_get(order_id=order_id)).data
