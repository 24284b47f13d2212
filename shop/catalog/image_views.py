"""The staff endpoint that uploads (multipart POST) or removes a product image."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.catalog.images import validate_product_image
from shop.catalog.models import Product
from shop.catalog.serializers import ProductSerializer
from shop.catalog.services import product_image_set
from shop.core.permissions import StaffModelPermissions


class ProductImageInputSerializer(serializers.Serializer):
    image = serializers.ImageField(
        help_text="JPEG, PNG or WebP, at most 5 MB and 4096x4096 pixels."
    )

    def validate_image(self, value):
        try:
            validate_product_image(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages, code=exc.code) from exc
        return value


class ProductImagePermission(StaffModelPermissions):
    """Setting or removing a product's image changes it: `change_product`."""

    perms_map = {
        **StaffModelPermissions.perms_map,
        "POST": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.change_%(model_name)s"],
    }


class ProductImageView(APIView):
    """Staff upload (multipart POST) or remove (DELETE) a product's image."""

    permission_classes = [ProductImagePermission]
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return Product.objects.all()

    def _render(self, request, product):
        return ProductSerializer(product, context={"request": request}).data

    @extend_schema(
        summary="Upload a product image (multipart field `image`)",
        request={"multipart/form-data": ProductImageInputSerializer},
        responses={200: ProductSerializer},
    )
    def post(self, request, pk):
        product = get_object_or_404(self.get_queryset(), pk=pk)
        payload = ProductImageInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        product_image_set(product=product, image=payload.validated_data["image"])
        return Response(self._render(request, product))

    @extend_schema(
        summary="Remove a product's image",
        request=None,
        responses={200: ProductSerializer},
    )
    def delete(self, request, pk):
        product = get_object_or_404(self.get_queryset(), pk=pk)
        product_image_set(product=product, image=None)
        return Response(self._render(request, product))
