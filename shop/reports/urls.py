from django.urls import path

from shop.reports import views as report_views

app_name = "reports"

urlpatterns = [
    path("reports/sales/", report_views.SalesReportView.as_view(), name="sales"),
    path(
        "reports/top-products/",
        report_views.TopProductsReportView.as_view(),
        name="top-products",
    ),
    path(
        "reports/customers/",
        report_views.TopCustomersReportView.as_view(),
        name="customers",
    ),
    path("reports/status/", report_views.StatusReportView.as_view(), name="status"),
]
