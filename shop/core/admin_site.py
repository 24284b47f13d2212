"""The shop's admin site: Django's, plus key figures and a Reports page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import urlencode

from shop.orders import reports

REPORTS_PERMISSION = "orders.view_order"
MAX_RANGE_DAYS = 3660


class ReportRangeForm(forms.Form):
    date_from = forms.DateField(
        label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    group_by = forms.ChoiceField(
        label="Group by",
        choices=[(c, c.capitalize()) for c in reports.GROUP_BY_CHOICES],
        initial="day",
    )

    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to:
            if date_from > date_to:
                raise forms.ValidationError("'From' must not be after 'To'.")
            if (date_to - date_from).days >= MAX_RANGE_DAYS:
                raise forms.ValidationError(
                    f"A range may cover at most {MAX_RANGE_DAYS} days."
                )
        return data


# --- Chart --------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    title: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class XLabel:
    x: float
    label: str


@dataclass(frozen=True)
class SalesChart:
    width: int
    height: int
    plot_left: int
    plot_bottom: int
    plot_right: int
    bars: list[Bar]
    ticks: list[Tick]
    x_labels: list[XLabel]
    total_revenue: Decimal
    total_orders: int


def _nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above value."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    for step in (1, 2, Decimal("2.5"), 5, 10):
        candidate = Decimal(step).scaleb(exponent)
        if candidate >= value:
            return candidate
    return Decimal(10).scaleb(exponent)


def _period_label(period: dt.date, group_by: str) -> str:
    if group_by == "month":
        return period.strftime("%b %Y")
    return period.strftime("%d %b")


def sales_chart(rows: list[reports.SalesRow], group_by: str) -> SalesChart:
    """Geometry of a revenue bar chart, drawn by the template as inline SVG."""
    width, height = 900, 260
    left, right, top, bottom = 70, 890, 12, 220
    plot_w, plot_h = right - left, bottom - top
    peak = _nice_ceiling(max((r.revenue for r in rows), default=Decimal(0)))
    slot = plot_w / max(len(rows), 1)
    bar_w = min(max(slot * 0.8, 1.0), 60.0)
    bars = []
    for i, row in enumerate(rows):
        h = float(row.revenue / peak) * plot_h if peak else 0.0
        label = _period_label(row.period, group_by)
        bars.append(
            Bar(
                x=round(left + i * slot + (slot - bar_w) / 2, 2),
                y=round(bottom - h, 2),
                width=round(bar_w, 2),
                height=round(h, 2),
                label=label,
                title=f"{row.period.isoformat()}: {row.revenue} "
                f"({row.orders} orders, {row.units} units)",
            )
        )
    ticks = [
        Tick(y=round(bottom - plot_h * i / 4, 2), label=f"{peak * i / 4:,.0f}")
        for i in range(5)
    ]
    every = max(1, -(-len(rows) // 12))  # at most about 12 labels
    x_labels = [
        XLabel(x=round(b.x + b.width / 2, 2), label=b.label)
        for i, b in enumerate(bars)
        if i % every == 0
    ]
    return SalesChart(
        width=width,
        height=height,
        plot_left=left,
        plot_bottom=bottom,
        plot_right=right,
        bars=bars,
        ticks=ticks,
        x_labels=x_labels,
        total_revenue=sum((r.revenue for r in rows), Decimal("0.00")),
        total_orders=sum(r.orders for r in rows),
    )


def _admin_url(name: str, *args) -> str | None:
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

    def get_urls(self):
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
    def can_see_reports(request) -> bool:
        return request.user.is_active and request.user.has_perm(REPORTS_PERMISSION)

    def index(self, request, extra_context=None):
        extra_context = extra_context or {}
        if self.can_see_reports(request):
            extra_context["key_figures"] = reports.key_figures(
                low_stock_threshold=settings.SHOP_LOW_STOCK_THRESHOLD
            )
            extra_context["reports_url"] = reverse(f"{self.name}:reports")
            orders_url = _admin_url(f"{self.name}:orders_order_changelist")
            products_url = _admin_url(f"{self.name}:catalog_product_changelist")
            extra_context["pending_url"] = (
                f"{orders_url}?status__exact=pending" if orders_url else None
            )
            extra_context["products_url"] = products_url
        return super().index(request, extra_context)

    def _range(self, request) -> tuple[ReportRangeForm, dict]:
        date_from, date_to = reports.default_range(30)
        data = {"date_from": date_from, "date_to": date_to, "group_by": "day"}
        if request.GET:
            data = {**data, **request.GET.dict()}
        form = ReportRangeForm(data)
        if form.is_valid():
            return form, form.cleaned_data
        return form, {"date_from": date_from, "date_to": date_to, "group_by": "day"}

    def reports_view(self, request):
        if not self.can_see_reports(request):
            raise PermissionDenied
        form, params = self._range(request)
        date_from, date_to = params["date_from"], params["date_to"]
        group_by = params["group_by"]
        sales = reports.sales(date_from=date_from, date_to=date_to, group_by=group_by)
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
            for name in reports.REPORT_NAMES
        }
        top_products = [
            (row, _admin_url(f"{self.name}:catalog_product_change", row.product_id))
            for row in reports.top_products(
                date_from=date_from, date_to=date_to, limit=10
            )
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
            "top_customers": reports.top_customers(
                date_from=date_from, date_to=date_to, limit=10
            ),
            "statuses": reports.status_breakdown(date_from=date_from, date_to=date_to),
            "csv_links": csv_links,
        }
        return TemplateResponse(request, "admin/shop/reports.html", context)

    def reports_csv_view(self, request, report: str):
        # Imported here: the API module pulls in DRF, which the admin does not
        # need until somebody downloads a file.
        from shop.orders.report_views import report_csv

        if not self.can_see_reports(request):
            raise PermissionDenied
        if report not in reports.REPORT_NAMES:
            raise Http404("No such report.")
        _form, params = self._range(request)
        filename, body = report_csv(
            report,
            {
                "date_from": params["date_from"],
                "date_to": params["date_to"],
                "group_by": params["group_by"],
                "limit": 100,
            },
        )
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
