from django.urls import path
from rest_framework.routers import SimpleRouter

from shop.catalog import views
from shop.catalog.image_views import ProductImageView

app_name = "catalog"

router = SimpleRouter(trailing_slash=True)
router.register("categories", views.CategoryViewSet, basename="category")
router.register("products", views.ProductViewSet, basename="product")

urlpatterns = [
    *router.urls,
    path("products/<int:pk>/image/", ProductImageView.as_view(), name="product-image"),
]
