"""URLconf for platform tests: the shop's URLs plus views that fail on purpose."""

from django.db import IntegrityError
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from shop.urls import urlpatterns as shop_urlpatterns


class _Public(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []


class RaisingApiView(_Public):
    def get(self, request):
        raise RuntimeError("boom")


class AuthenticatedRaisingApiView(APIView):
    def get(self, request):
        raise RuntimeError("boom for a signed-in user")


class IntegrityErrorView(_Public):
    def post(self, request):
        raise IntegrityError('duplicate key value violates unique constraint "x"')


def raising_django_view(request):
    raise RuntimeError("boom")


@require_POST
def post_only_django_view(request):
    return HttpResponse("ok")


urlpatterns = [
    path("api/test/drf-error/", RaisingApiView.as_view()),
    path("api/test/integrity/", IntegrityErrorView.as_view()),
    path("api/test/signed-in-error/", AuthenticatedRaisingApiView.as_view()),
    path("api/test/django-error/", raising_django_view),
    path("api/test/post-only/", post_only_django_view),
    path("site/django-error/", raising_django_view),
    *shop_urlpatterns,
]
