"""The shop's admin site: Django's, plus key figures and a Reports page."""

from __future__ import annotations

import dataclasses
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, URLResolver, path, reverse
from django.utils.http import urlencode

from shop.core.replicas import replica_read
from shop.core.throttling import AuthRateThrottle, throttle_wait
from shop.core.views import form_throttled
from shop.reports import queries
from shop.reports.charts import sales_chart
from shop.reports.ranges import ReportRange, ReportRangeError
from shop.reports.runner import REPORT_NAMES, report_csv_response, report_run

REPORTS_PERMISSION = "orders.view_order"
# Rows of the top lists in the page's CSV downloads (the page shows ten).
CSV_LIMIT = 100


class ReportRangeForm(forms.Form):
    date_from = forms.DateField(
        label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    group_by = forms.ChoiceField(
        label="Group by",
        choices=[(c, c.capitalize()) for c in queries.GROUP_BY_CHOICES],
        initial="day",
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        try:
            data["range"] = ReportRange.build(
                date_from=data["date_from"],
                date_to=data["date_to"],
                group_by=data["group_by"],
            )
        except ReportRangeError as exc:
            raise forms.ValidationError(exc.message) from exc
        return data


def _admin_url(name: str, *args: object) -> str | None:
    """A URL of another admin page, or None while its model is not registered."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# --- Site -----------------------------------------------------------------


class ShopAdminSite(admin.AdminSite):
    site_header = "Shop administration"
    site_title = "Shop admin"
    index_title = "Shop administration"
    index_template = "admin/shop/index.html"

    # AdminSite only reads site_url; mypy sees a writable attribute.
    @property
    def site_url(self) -> str | None:  # type: ignore[override]
        # "View site" leads to the shop's storefront; the backend itself has
        # none to show, so without FRONTEND_URL the link is hidden.
        return settings.FRONTEND_URL or None

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Sign-in attempts count like the API's (`auth` scope, per client
        # address): a staff password is worth guessing.
        if request.method == "POST":
            wait = throttle_wait(request, AuthRateThrottle())
            if wait is not None:
                return form_throttled(request, wait)
        return super().login(request, extra_context)

    def get_urls(self) -> list[URLPattern | URLResolver]:
        extra = [
            path("reports/", self.admin_view(self.reports_view), name="reports"),
            path(
                "reports/<slug:report>.csv",
                self.admin_view(self.reports_csv_view),
                name="reports_csv",
            ),
        ]
        return extra + super().get_urls()

    @staticmethod
    def can_see_reports(request: HttpRequest) -> bool:
        return request.user.is_active and request.user.has_perm(REPORTS_PERMISSION)

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        extra_context = extra_context or {}
        if self.can_see_reports(request):
            extra_context["key_figures"] = replica_read(
                queries.key_figures,
                low_stock_threshold=settings.SHOP_LOW_STOCK_THRESHOLD,
            )
            extra_context["reports_url"] = reverse(f"{self.name}:reports")
            orders_url = _admin_url(f"{self.name}:orders_order_changelist")
            products_url = _admin_url(f"{self.name}:catalog_product_changelist")
            extra_context["pending_url"] = (
                f"{orders_url}?status__exact=pending" if orders_url else None
            )
            extra_context["products_url"] = products_url
        return super().index(request, extra_context)

    def _range(self, request: HttpRequest) -> tuple[ReportRangeForm, ReportRange]:
        default = ReportRange.default()
        data: dict[str, object] = {
            "date_from": default.date_from,
            "date_to": default.date_to,
            "group_by": default.group_by,
        }
        if request.GET:
            data = {**data, **request.GET.dict()}
        form = ReportRangeForm(data)
        if form.is_valid():
            return form, form.cleaned_data["range"]
        return form, default

    def reports_view(self, request: HttpRequest) -> TemplateResponse:
        if not self.can_see_reports(request):
            raise PermissionDenied
        form, report_range = self._range(request)
        date_from, date_to = report_range.date_from, report_range.date_to
        if date_from is None or date_to is None:
            # ReportRange.build fills both ends unless asked for an open range.
            raise ValueError("the Reports page needs a range with both ends")
        group_by = report_range.group_by
        sales = report_run("sales", report_range).rows
        query = urlencode(
            {
                "date_from": date_from.isoformat(),
                "date_to": date_to.isoformat(),
                "group_by": group_by,
            }
        )
        csv_links = {
            name.replace("-", "_"): reverse(f"{self.name}:reports_csv", args=[name])
            + "?"
            + query
            for name in REPORT_NAMES
        }
        top_products = [
            (row, _admin_url(f"{self.name}:catalog_product_change", row.product_id))
            for row in report_run("top-products", report_range).rows
        ]
        context = {
            **self.each_context(request),
            "title": "Reports",
            "form": form,
            "date_from": date_from,
            "date_to": date_to,
            "group_by": group_by,
            "sales": sales,
            "chart": sales_chart(sales, group_by),
            "top_products": top_products,
            "top_customers": report_run("customers", report_range).rows,
            "statuses": report_run("status", report_range).rows,
            "csv_links": csv_links,
        }
        return TemplateResponse(request, "admin/shop/reports.html", context)

    def reports_csv_view(self, request: HttpRequest, report: str) -> HttpResponseBase:
        if not self.can_see_reports(request):
            raise PermissionDenied
        if report not in REPORT_NAMES:
            raise Http404("No such report.")
        _form, report_range = self._range(request)
        report_range = dataclasses.replace(report_range, limit=CSV_LIMIT)
        return report_csv_response(report_run(report, report_range))
