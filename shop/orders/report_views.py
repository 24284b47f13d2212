"""Staff report endpoints: thin views over shop.orders.reports, JSON or CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.core.permissions import StaffModelPermissions
from shop.core.schema import ShopAutoSchema
from shop.orders import reports
from shop.orders.models import Order

# The longest range one request may cover: ten years of daily rows.
MAX_RANGE_DAYS = 3660
DEFAULT_RANGE_DAYS = 30


# --- Input ------------------------------------------------------------------


class ReportRangeInputSerializer(serializers.Serializer):
    date_from = serializers.DateField(
        required=False,
        help_text="First local day (YYYY-MM-DD, TIME_ZONE), inclusive. "
        "Default: 29 days before date_to.",
    )
    date_to = serializers.DateField(
        required=False,
        help_text="Last local day (YYYY-MM-DD), inclusive. Default: today.",
    )

    # Reports whose range may be left open (all time) set this.
    range_optional = False

    def validate(self, attrs):
        date_from, date_to = attrs.get("date_from"), attrs.get("date_to")
        if not self.range_optional:
            if date_to is None:
                date_to = reports.local_today()
            if date_from is None:
                date_from = date_to - dt.timedelta(days=DEFAULT_RANGE_DAYS - 1)
        if date_from and date_to:
            if date_from > date_to:
                raise serializers.ValidationError(
                    {"date_from": ["date_from must not be after date_to."]}
                )
            if (date_to - date_from).days >= MAX_RANGE_DAYS:
                raise serializers.ValidationError(
                    {"date_to": [f"A range may cover at most {MAX_RANGE_DAYS} days."]}
                )
        return {**attrs, "date_from": date_from, "date_to": date_to}


class SalesInputSerializer(ReportRangeInputSerializer):
    group_by = serializers.ChoiceField(
        choices=reports.GROUP_BY_CHOICES,
        default="day",
        help_text="Period length; weeks start on Monday.",
    )


class TopInputSerializer(ReportRangeInputSerializer):
    limit = serializers.IntegerField(
        min_value=1, max_value=100, default=10, help_text="Rows to return (1-100)."
    )


class StatusInputSerializer(ReportRangeInputSerializer):
    range_optional = True

    date_from = serializers.DateField(
        required=False, help_text="First local day, inclusive. Default: no limit."
    )
    date_to = serializers.DateField(
        required=False, help_text="Last local day, inclusive. Default: no limit."
    )


# --- Output -----------------------------------------------------------------


def _money():
    return serializers.DecimalField(max_digits=14, decimal_places=2)


class SalesRowSerializer(serializers.Serializer):
    period = serializers.DateField(help_text="First local day of the period.")
    orders = serializers.IntegerField()
    units = serializers.IntegerField()
    revenue = _money()
    average_order_value = _money()


class TopProductRowSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    units = serializers.IntegerField()
    revenue = _money()


class TopCustomerRowSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    email = serializers.EmailField()
    orders = serializers.IntegerField()
    revenue = _money()


class StatusRowSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Order.Status.choices)
    count = serializers.IntegerField()
    value = _money()


def _report_serializer(name: str, row_serializer, extra: dict | None = None):
    fields = {
        "date_from": serializers.DateField(allow_null=True),
        "date_to": serializers.DateField(allow_null=True),
        **(extra or {}),
        "results": row_serializer(many=True),
    }
    return type(name, (serializers.Serializer,), fields)


SalesReportSerializer = _report_serializer(
    "SalesReportSerializer",
    SalesRowSerializer,
    {"group_by": serializers.ChoiceField(choices=reports.GROUP_BY_CHOICES)},
)
TopProductsReportSerializer = _report_serializer(
    "TopProductsReportSerializer", TopProductRowSerializer
)
TopCustomersReportSerializer = _report_serializer(
    "TopCustomersReportSerializer", TopCustomerRowSerializer
)
StatusReportSerializer = _report_serializer(
    "StatusReportSerializer", StatusRowSerializer
)


# --- CSV --------------------------------------------------------------------


class CSVRenderer(renderers.BaseRenderer):
    """A report's `results` as CSV with a header row (even when empty)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        view = (renderer_context or {}).get("view")
        rows = data.get("results", []) if isinstance(data, dict) else data or []
        header = list(getattr(view, "csv_fields", ()) or (rows[0] if rows else ()))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(field, "") for field in header])
        return out.getvalue().encode(self.charset)


def _csv_response():
    return OpenApiResponse(
        response=OpenApiTypes.STR, description="The rows as CSV with a header."
    )


_FORMAT_PARAM = OpenApiParameter(
    "format",
    str,
    enum=["json", "csv"],
    required=False,
    description="`csv` for a CSV download (same as `Accept: text/csv`).",
)


# --- Views ------------------------------------------------------------------


class ReportAutoSchema(ShopAutoSchema):
    """Reports answer in JSON or CSV, but errors always in JSON."""

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        if str(status_code).startswith(("4", "5")):
            media_types = ["application/json"]
        return super()._get_response_for_code(
            serializer, status_code, media_types, direction
        )


class ReportView(APIView):
    """Shared plumbing: staff permission, parameters, JSON/CSV, file name."""

    permission_classes = [StaffModelPermissions]
    schema = ReportAutoSchema()
    # StaffModelPermissions reads the model from here: reports need view_order.
    queryset = Order.objects.none()
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]
    input_serializer_class: type[serializers.Serializer]
    output_serializer_class: type[serializers.Serializer]
    row_serializer_class: type[serializers.Serializer]
    report_name: str

    @property
    def csv_fields(self):
        return list(self.row_serializer_class().fields)

    def run(self, params: dict) -> dict:
        raise NotImplementedError

    def get(self, request):
        payload = self.input_serializer_class(data=request.query_params)
        payload.is_valid(raise_exception=True)
        params = payload.validated_data
        self._params = params
        data = self.output_serializer_class(self.run(params)).data
        return Response(data)

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400 or getattr(response, "exception", False):
            # Errors always in the one JSON shape, even when CSV was asked for.
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = "application/json"
        response = super().finalize_response(request, response, *args, **kwargs)
        renderer = getattr(request, "accepted_renderer", None)
        if isinstance(renderer, CSVRenderer) and response.status_code == 200:
            response["Content-Disposition"] = (
                f'attachment; filename="{self.csv_filename()}"'
            )
        return response

    def csv_filename(self) -> str:
        params = getattr(self, "_params", {})
        parts = [self.report_name]
        for key in ("date_from", "date_to"):
            if params.get(key):
                parts.append(params[key].isoformat())
        if params.get("group_by"):
            parts.append(params["group_by"])
        return "-".join(parts) + ".csv"


def _report_schema(*, summary, input_serializer, output_serializer):
    return extend_schema(
        summary=summary,
        description="Staff only (orders.view_order). Dates are local days of "
        "TIME_ZONE, both inclusive. JSON by default; CSV with `?format=csv` or "
        "`Accept: text/csv` (with a Content-Disposition file name).",
        parameters=[input_serializer, _FORMAT_PARAM],
        responses={
            (200, "application/json"): output_serializer,
            (200, "text/csv"): _csv_response(),
        },
        tags=["reports"],
    )


class SalesReportView(ReportView):
    report_name = "sales"
    input_serializer_class = SalesInputSerializer
    output_serializer_class = SalesReportSerializer
    row_serializer_class = SalesRowSerializer

    def run(self, params):
        return {
            **params,
            "results": reports.sales(
                date_from=params["date_from"],
                date_to=params["date_to"],
                group_by=params["group_by"],
            ),
        }

    @_report_schema(
        summary="Sales per day, week or month (cancelled orders excluded)",
        input_serializer=SalesInputSerializer,
        output_serializer=SalesReportSerializer,
    )
    def get(self, request):
        return super().get(request)


class TopProductsReportView(ReportView):
    report_name = "top-products"
    input_serializer_class = TopInputSerializer
    output_serializer_class = TopProductsReportSerializer
    row_serializer_class = TopProductRowSerializer

    def run(self, params):
        return {
            **params,
            "results": reports.top_products(
                date_from=params["date_from"],
                date_to=params["date_to"],
                limit=params["limit"],
            ),
        }

    @_report_schema(
        summary="Best-selling products by revenue",
        input_serializer=TopInputSerializer,
        output_serializer=TopProductsReportSerializer,
    )
    def get(self, request):
        return super().get(request)


class TopCustomersReportView(ReportView):
    report_name = "customers"
    input_serializer_class = TopInputSerializer
    output_serializer_class = TopCustomersReportSerializer
    row_serializer_class = TopCustomerRowSerializer

    def run(self, params):
        return {
            **params,
            "results": reports.top_customers(
                date_from=params["date_from"],
                date_to=params["date_to"],
                limit=params["limit"],
            ),
        }

    @_report_schema(
        summary="Customers who spent most",
        input_serializer=TopInputSerializer,
        output_serializer=TopCustomersReportSerializer,
    )
    def get(self, request):
        return super().get(request)


class StatusReportView(ReportView):
    report_name = "status"
    input_serializer_class = StatusInputSerializer
    output_serializer_class = StatusReportSerializer
    row_serializer_class = StatusRowSerializer

    def run(self, params):
        return {
            **params,
            "results": reports.status_breakdown(
                date_from=params["date_from"], date_to=params["date_to"]
            ),
        }

    @_report_schema(
        summary="Order count and value per status (all time by default)",
        input_serializer=StatusInputSerializer,
        output_serializer=StatusReportSerializer,
    )
    def get(self, request):
        return super().get(request)


REPORT_VIEWS: dict[str, type[ReportView]] = {
    "sales": SalesReportView,
    "top-products": TopProductsReportView,
    "customers": TopCustomersReportView,
    "status": StatusReportView,
}


def report_data(name: str, params: dict) -> tuple[ReportView, dict]:
    """One report rendered as the API would, for callers outside the API.

    `params` holds date_from, date_to and, where the report takes them,
    group_by and limit (already validated).
    """
    view = REPORT_VIEWS[name]()
    view._params = params
    return view, view.output_serializer_class(view.run(params)).data


def report_csv(name: str, params: dict) -> tuple[str, bytes]:
    """One report as (file name, CSV bytes)."""
    view, data = report_data(name, params)
    body = CSVRenderer().render(data, renderer_context={"view": view})
    return view.csv_filename(), body
