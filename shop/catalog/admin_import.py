"""The product list's "Import CSV": upload, dry-run preview, apply.

The same service as `manage.py import_products` does the work
(`product_import_records`); the upload waits server-side in the cache under a
random token bound to the uploader (`services.import_jobs`). Files of more
than `ADMIN_IMPORT_BACKGROUND_ROWS` rows are previewed and imported by a
Celery task while the status page refreshes itself.
"""

from typing import TYPE_CHECKING, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse

from shop.catalog.services.import_jobs import (
    Mode,
    State,
    import_job_fail,
    import_job_queue,
    import_job_run,
    import_status_get,
    import_upload_get,
    import_upload_store,
)
from shop.catalog.services.imports import COLUMNS, REQUIRED_COLUMNS, ImportFileError
from shop.catalog.tasks import product_import_job

# Seconds between reloads of the status page while a job runs.
REFRESH_SECONDS = 2


class ProductImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8, comma-separated, with a header row: {', '.join(COLUMNS)} "
        f"({', '.join(REQUIRED_COLUMNS)} required; any order). The format of the "
        "“Export selected products as CSV” action.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.ADMIN_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is larger than {filesizeformat(limit)}; split it, or "
                "use manage.py import_products."
            )
        data = upload.read()
        try:
            self.text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                f"The file is not UTF-8 text (byte {exc.start}). Save it as "
                "“CSV UTF-8” and upload it again."
            ) from None
        return upload


if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    from shop.catalog.models import Product

    _ModelAdmin = ModelAdmin[Product]
else:
    _ModelAdmin = object


class ProductImportAdminMixin(_ModelAdmin):
    """Adds the import pages to ProductAdmin."""

    def get_urls(self):
        extra = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_upload_view),
                name="catalog_product_import",
            ),
            path(
                "import/<str:token>/",
                self.admin_site.admin_view(self.import_status_view),
                name="catalog_product_import_status",
            ),
        ]
        return extra + super().get_urls()

    def has_import_permission(self, request) -> bool:
        # An import creates and changes products: it needs both rights.
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_import": self.has_import_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def _import_context(self, request, title: str, **context) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "changelist_url": reverse("admin:catalog_product_changelist"),
            "upload_url": reverse("admin:catalog_product_import"),
            **context,
        }

    def import_upload_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = ProductImportForm()
        status = 200
        if request.method == "POST":
            form = ProductImportForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    upload = import_upload_store(
                        user=request.user,
                        file_name=form.cleaned_data["file"].name,
                        text=form.text,
                    )
                except ImportFileError as exc:
                    form.add_error("file", str(exc))
                else:
                    return redirect(
                        "admin:catalog_product_import_status", token=upload.token
                    )
            status = 400
        context = self._import_context(
            request,
            "Import products from CSV",
            form=form,
            max_bytes=settings.ADMIN_IMPORT_MAX_BYTES,
            background_rows=settings.ADMIN_IMPORT_BACKGROUND_ROWS,
        )
        return TemplateResponse(
            request, "admin/catalog/product/import_upload.html", context, status=status
        )

    def import_status_view(self, request, token: str):
        if not self.has_import_permission(request):
            raise PermissionDenied
        upload = import_upload_get(token=token, user=request.user)
        if upload is None:
            raise Http404("No such upload; it may have expired.")
        if request.method == "POST":
            return self._import_apply(request, upload)
        status = import_status_get(token=token)
        if status is None:
            status = self._import_start(upload)
        running = status["state"] in (State.QUEUED, State.RUNNING)
        context = self._import_context(
            request,
            f"Import {upload.file_name}",
            upload=upload,
            status=status,
            report=status.get("report"),
            running=running,
            refresh_seconds=REFRESH_SECONDS,
            percent=int(100 * status["done"] / status["total"])
            if running and status.get("total")
            else None,
        )
        response = TemplateResponse(
            request, "admin/catalog/product/import_status.html", context
        )
        if running:
            response["Refresh"] = str(REFRESH_SECONDS)
        return response

    def _import_start(self, upload) -> dict:
        """Preview a small file here and now; queue a large one for a worker."""
        if not upload.runs_in_background:
            return import_job_run(token=upload.token, mode=Mode.PREVIEW)
        import_job_queue(upload=upload, mode=Mode.PREVIEW)
        transaction.on_commit(lambda: self._import_send(upload.token, Mode.PREVIEW))
        # Just written by import_job_queue.
        return cast(dict, import_status_get(token=upload.token))

    @staticmethod
    def _import_send(token: str, mode: str, keep_good: bool = False) -> None:
        try:
            product_import_job.delay(token, mode, keep_good)
        except Exception as exc:  # the broker is unreachable
            import_job_fail(
                token=token,
                mode=mode,
                message=f"Could not start the background job: {exc}",
            )

    def _import_apply(self, request, upload) -> HttpResponseRedirect:
        status_url = reverse("admin:catalog_product_import_status", args=[upload.token])
        status = import_status_get(token=upload.token) or {}
        if status.get("mode") == Mode.APPLY:
            self.message_user(
                request, "This file is being or has been imported.", messages.ERROR
            )
            return HttpResponseRedirect(status_url)
        if status.get("mode") != Mode.PREVIEW or status.get("state") != State.DONE:
            self.message_user(
                request, "Wait for the preview before importing.", messages.WARNING
            )
            return HttpResponseRedirect(status_url)
        keep_good = request.POST.get("keep_good") == "on"
        if status["report"]["error_count"] and not keep_good:
            self.message_user(
                request,
                "Some lines have errors: correct the file and upload it again, or "
                "tick “Import the valid lines anyway”.",
                messages.ERROR,
            )
            return HttpResponseRedirect(status_url)
        if not import_job_queue(upload=upload, mode=Mode.APPLY):
            self.message_user(
                request, "This file is being or has been imported.", messages.ERROR
            )
            return HttpResponseRedirect(status_url)
        if upload.runs_in_background:
            transaction.on_commit(
                lambda: self._import_send(upload.token, Mode.APPLY, keep_good)
            )
            return HttpResponseRedirect(status_url)
        status = import_job_run(
            token=upload.token, mode=Mode.APPLY, keep_good=keep_good
        )
        if status["state"] != State.DONE:
            self.message_user(request, status["error"], messages.ERROR)
            return HttpResponseRedirect(status_url)
        report = status["report"]
        self.message_user(
            request,
            f"Imported {upload.file_name}: {report['created']} created, "
            f"{report['updated']} updated, {report['unchanged']} unchanged, "
            f"{report['error_count']} line(s) skipped.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:catalog_product_changelist"))
