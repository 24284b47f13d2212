from rest_framework.routers import SimpleRouter

app_name = "catalog"

router = SimpleRouter(trailing_slash=True)

urlpatterns = router.urls
