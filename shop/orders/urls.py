from rest_framework.routers import SimpleRouter

app_name = "orders"

router = SimpleRouter(trailing_slash=True)

urlpatterns = router.urls
