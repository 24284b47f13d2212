from rest_framework.routers import SimpleRouter

from shop.catalog import views

app_name = "catalog"

router = SimpleRouter(trailing_slash=True)
router.register("categories", views.CategoryViewSet, basename="category")
router.register("products", views.ProductViewSet, basename="product")

urlpatterns = router.urls
