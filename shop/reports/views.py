"""Staff report endpoints: thin views over shop.reports.runner, JSON or CSV."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.core.permissions import StaffModelPermissions
from shop.core.schema import ShopAutoSchema
from shop.core.strict import QueryDateField, QueryIntegerField, repeated_params
from shop.orders.models import Order
from shop.reports import queries
from shop.reports.ranges import MAX_LIMIT, ReportRange, ReportRangeError
from shop.reports.runner import ReportResult, report_csv_lines, report_run

# --- Input ------------------------------------------------------------------


class ReportRangeInputSerializer(serializers.Serializer):
    """Parses the query string; ReportRange fills defaults and checks bounds."""

    date_from = QueryDateField(
        required=False,
        help_text="First local day (YYYY-MM-DD, TIME_ZONE), inclusive. "
        "Default: 29 days before date_to.",
    )
    date_to = QueryDateField(
        required=False,
        help_text="Last local day (YYYY-MM-DD), inclusive. Default: today.",
    )

    # Reports whose range may be left open (all time) set this.
    range_optional = False

    def validate(self, attrs):
        try:
            report_range = ReportRange.build(**attrs, open_ended=self.range_optional)
        except ReportRangeError as exc:
            raise serializers.ValidationError({exc.field: [exc.message]}) from exc
        return {"range": report_range}


class SalesInputSerializer(ReportRangeInputSerializer):
    group_by = serializers.ChoiceField(
        choices=queries.GROUP_BY_CHOICES,
        default="day",
        help_text="Period length; weeks start on Monday.",
    )


class TopInputSerializer(ReportRangeInputSerializer):
    limit = QueryIntegerField(
        min_value=1,
        max_value=MAX_LIMIT,
        default=10,
        help_text=f"Rows to return (1-{MAX_LIMIT}).",
    )


class StatusInputSerializer(ReportRangeInputSerializer):
    range_optional = True

    date_from = QueryDateField(
        required=False, help_text="First local day, inclusive. Default: no limit."
    )
    date_to = QueryDateField(
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
    {"group_by": serializers.ChoiceField(choices=queries.GROUP_BY_CHOICES)},
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
    """The view's report rows as CSV with a header row (even when empty)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        view = (renderer_context or {}).get("view")
        result: ReportResult = view.result
        return "".join(report_csv_lines(result)).encode(self.charset)


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
    report_name: str
    result: ReportResult

    def get(self, request):
        params = request.query_params
        names = [*self.input_serializer_class().fields, "format"]
        errors = {
            name: ["Give this parameter once."]
            for name in repeated_params(params, names)
        }
        # DRF reads an empty optional query value as absent; the schema's
        # dates, numbers and choices have no empty form.
        errors.update(
            {name: ["May not be empty."] for name in names if params.get(name) == ""}
        )
        if errors:
            raise serializers.ValidationError(errors)
        payload = self.input_serializer_class(data=request.query_params)
        payload.is_valid(raise_exception=True)
        report_range = payload.validated_data["range"]
        self.result = report_run(self.report_name, report_range)
        data = self.output_serializer_class(
            {
                "date_from": report_range.date_from,
                "date_to": report_range.date_to,
                "group_by": report_range.group_by,
                "results": self.result.rows,
            }
        ).data
        return Response(data)

    def finalize_response(self, request, response, *args, **kwargs):
        no_report = not hasattr(self, "result")  # an error, or OPTIONS
        if (
            no_report
            or response.status_code >= 400
            or getattr(response, "exception", False)
        ):
            # Errors always in the one JSON shape, even when CSV was asked for.
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = "application/json"
        response = super().finalize_response(request, response, *args, **kwargs)
        renderer = getattr(request, "accepted_renderer", None)
        if isinstance(renderer, CSVRenderer) and response.status_code == 200:
            response["Content-Disposition"] = (
                f'attachment; filename="{self.result.filename}"'
            )
        return response


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

    @_report_schema(
        summary="Order count and value per status (all time by default)",
        input_serializer=StatusInputSerializer,
        output_serializer=StatusReportSerializer,
    )
    def get(self, request):
        return super().get(request)
