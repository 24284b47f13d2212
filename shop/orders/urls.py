from rest_framework.routers import SimpleRouter

from shop.orders import views

app_name = "orders"

router = SimpleRouter(trailing_slash=True)
router.register("orders", views.OrderViewSet, basename="order")

urlpatterns = router.urls
