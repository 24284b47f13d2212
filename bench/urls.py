"""The shop's URLs plus a minimal DRF product list to compare against."""

from django.urls import include, path
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from shop.catalog.models import Product


class NaiveProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = "__all__"


class NaiveProductList(generics.ListAPIView):
    """What a first DRF version of the list looks like: ModelSerializer."""

    queryset = Product.objects.filter(is_active=True).order_by("id")
    serializer_class = NaiveProductSerializer
    permission_classes = [AllowAny]


urlpatterns = [
    path("bench/naive-products/", NaiveProductList.as_view()),
    path("", include("shop.urls")),
]
