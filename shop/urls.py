from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)

from shop.core import views as core_views

# The apps' paths do not overlap; the busiest (the product list, then
# checkout) come first so that resolving them tries the fewest patterns.
api_v1 = [
    path("", include("shop.catalog.urls")),
    path("", include("shop.orders.urls")),
    path("", include("shop.users.urls")),
    path("", include("shop.reports.urls")),
]

urlpatterns = [
    path("", core_views.front_door, name="front-door"),
    # Before the admin, whose catch-all would swallow admin/password_reset/.
    path("", include("shop.users.admin_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("health/live", core_views.health_live, name="health-live"),
    path("health/ready", core_views.health_ready, name="health-ready"),
    path("metrics", core_views.metrics, name="metrics"),
]

if settings.DEBUG:
    # Development only: in production media live in S3 or behind the proxy.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
