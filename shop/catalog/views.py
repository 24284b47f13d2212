from typing import cast

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shop.catalog import selectors, services
from shop.catalog.filters import CategoryListFilter, ProductFilter, StableOrderingFilter
from shop.catalog.pagination import ProductPagination
from shop.catalog.serializers import (
    CategorySerializer,
    ProductInputSerializer,
    ProductSerializer,
    StockAdjustInputSerializer,
    product_rows,
)
from shop.core.permissions import ReadOnlyOrStaffModelPermissions, StaffModelPermissions

# Query parameters that change which products a public list shows, or in
# what order (include_inactive only counts for staff).
SHAPING_PARAMS = (*ProductFilter.base_filters, StableOrderingFilter.ordering_param)


def _is_staff(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated and user.is_staff)


class StockChangePermission(StaffModelPermissions):
    """A stock adjustment changes a product: it needs `change_product`."""

    perms_map = {
        **StaffModelPermissions.perms_map,
        "POST": ["%(app_label)s.change_%(model_name)s"],
    }


@extend_schema_view(
    destroy=extend_schema(
        summary="Delete a category without products or subcategories (else 409)"
    ),
)
class CategoryViewSet(viewsets.ModelViewSet):
    """Categories: anyone reads, staff with model permissions write."""

    serializer_class = CategorySerializer
    permission_classes = [ReadOnlyOrStaffModelPermissions]
    filterset_class = CategoryListFilter
    schema_error_codes = ("409",)
    schema_links = {
        "create": {
            "GetCategory": ("categories_retrieve", "id"),
            "UpdateCategory": ("categories_update", "id"),
            "PatchCategory": ("categories_partial_update", "id"),
            "DeleteCategory": ("categories_destroy", "id"),
        }
    }

    def get_queryset(self):
        return selectors.category_list()

    def perform_destroy(self, instance):
        services.category_delete(category=instance)


@extend_schema_view(
    list=extend_schema(
        summary="List active products (staff: include_inactive=true for all)",
    ),
    retrieve=extend_schema(summary="A product; inactive ones are 404 to non-staff"),
    create=extend_schema(
        request=ProductInputSerializer, responses={201: ProductSerializer}
    ),
    update=extend_schema(
        request=ProductInputSerializer, responses={200: ProductSerializer}
    ),
    partial_update=extend_schema(
        request=ProductInputSerializer, responses={200: ProductSerializer}
    ),
    destroy=extend_schema(
        summary="Delete a product no order references (else 409: deactivate it)"
    ),
)
class ProductViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ProductSerializer
    permission_classes = [ReadOnlyOrStaffModelPermissions]
    filterset_class = ProductFilter
    filter_backends = [
        # The settings' default backends (mypy: a class-level read of a
        # generic class's attribute).
        *viewsets.GenericViewSet.filter_backends,  # type: ignore[misc]
        StableOrderingFilter,
    ]
    pagination_class = ProductPagination
    ordering_fields = ["price", "name", "created_at"]
    ordering = ["id"]
    schema_error_codes = ("409",)
    schema_links = {
        "create": {
            "GetProduct": ("products_retrieve", "id"),
            "UpdateProduct": ("products_update", "id"),
            "PatchProduct": ("products_partial_update", "id"),
            "AdjustStock": ("products_stock_create", "id"),
            "DeleteProduct": ("products_destroy", "id"),
        },
    }

    def get_queryset(self):
        staff = _is_staff(self.request)
        if self.action == "list":
            # ProductFilter refuses anything but true/false.
            flag = self.request.query_params.get("include_inactive")
            include_inactive = staff and flag == "true"
        else:
            # Staff edit inactive products too; everybody else gets a 404.
            include_inactive = staff
        return selectors.product_list(include_inactive=include_inactive)

    def get_permissions(self):
        if self.action == "stock":
            return [StockChangePermission()]
        return super().get_permissions()

    def cache_reads(self, request) -> list[str]:
        # What the list's cached total needs, read by the throttles in their
        # round trip to the cache (shop.core.throttling).
        if self.action != "list" or _is_staff(request):
            return []
        paginator = cast(ProductPagination, self.paginator)
        paginator.count_cache_enable(request.query_params)
        return paginator.cache_reads()

    def list(self, request, *args, **kwargs):
        # The hot path: plain rows straight into the page, no model instances
        # and no serializer fields (same output as ProductSerializer).
        staff = _is_staff(request)
        if not staff:
            self.paginator.count_cache_enable(request.query_params)
        if staff or any(name in request.query_params for name in SHAPING_PARAMS):
            queryset = self.filter_queryset(self.get_queryset())
            rows = queryset.values(*selectors.PRODUCT_COLUMNS)
        else:
            # What the filters and the default ordering would give anyway.
            rows = selectors.ActiveProductRows()
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(product_rows(page, request))

    def create(self, request, *args, **kwargs):
        payload = ProductInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        data.pop("expected_stock", None)
        product = services.product_create(**data, user=request.user)
        return Response(
            ProductSerializer(product, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    def update(self, request, *args, **kwargs):
        product = self.get_object()
        payload = ProductInputSerializer(
            product, data=request.data, partial=kwargs.get("partial", False)
        )
        payload.is_valid(raise_exception=True)
        changes = dict(payload.validated_data)
        stock = changes.pop("stock", None)
        expected_stock = changes.pop("expected_stock", None)
        product = services.product_update(
            product_id=product.pk,
            changes=changes,
            stock=stock,
            expected_stock=expected_stock,
            user=request.user,
        )
        return Response(ProductSerializer(product, context={"request": request}).data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.product_delete(product=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=StockAdjustInputSerializer,
        responses={200: ProductSerializer},
        summary="Add or remove units; recorded as a stock movement",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="stock",
        filterset_class=None,
        pagination_class=None,
    )
    def stock(self, request, pk=None):
        product = self.get_object()
        payload = StockAdjustInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        product = services.stock_adjust(
            product_id=product.pk, user=request.user, **payload.validated_data
        )
        return Response(ProductSerializer(product, context={"request": request}).data)
