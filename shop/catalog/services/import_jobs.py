"""CSV imports from the admin: the upload between preview and apply, and jobs.

The uploaded text waits in the cache (Redis in production, so every web
instance and worker sees it) under a random token bound to the uploader, for
`ADMIN_IMPORT_KEEP_SECONDS`. A job (a dry-run preview or the real import)
runs `product_import_records`, the service `import_products` uses, and keeps
its state and progress in the cache beside the upload, where the status page
reads it; large files run as a Celery task (`catalog.tasks`).
"""

from __future__ import annotations

import io
import logging
import secrets
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.core.cache import cache

from shop.catalog.services.imports import (
    ImportFileError,
    Records,
    import_csv_read,
    product_import_records,
)
from shop.users.models import User

logger = logging.getLogger(__name__)

# Errors kept for the page; the count is always exact.
ERRORS_KEPT = 500
# Progress is written to the cache at most once per this many rows.
PROGRESS_STEP = 500


class Mode:
    PREVIEW = "preview"
    APPLY = "apply"


class State:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class ImportUpload:
    token: str
    user_id: int
    file_name: str
    text: str
    rows: int

    def records(self) -> tuple[list[str], Records]:
        return import_csv_read(io.StringIO(self.text, newline=""))

    @property
    def runs_in_background(self) -> bool:
        return self.rows > settings.ADMIN_IMPORT_BACKGROUND_ROWS


def _upload_key(token: str) -> str:
    return f"catalog:import:{token}"


def _status_key(token: str) -> str:
    return f"catalog:import:{token}:status"


def import_upload_store(*, user: User, file_name: str, text: str) -> ImportUpload:
    """Keep a readable CSV for its uploader; raise ImportFileError otherwise."""
    _columns, records = import_csv_read(io.StringIO(text, newline=""))
    if not records:
        raise ImportFileError("The file has no data lines.")
    upload = ImportUpload(
        token=secrets.token_urlsafe(24),
        user_id=user.pk,
        file_name=file_name[:200],
        text=text,
        rows=len(records),
    )
    cache.set(
        _upload_key(upload.token),
        {
            "user_id": upload.user_id,
            "file_name": upload.file_name,
            "text": upload.text,
            "rows": upload.rows,
        },
        timeout=settings.ADMIN_IMPORT_KEEP_SECONDS,
    )
    return upload


def import_upload_get(*, token: str, user: User) -> ImportUpload | None:
    """The upload behind `token` if it is still kept and `user` made it."""
    data = cache.get(_upload_key(token))
    if not data or data["user_id"] != user.pk:
        return None
    return ImportUpload(token=token, **data)


def import_status_get(*, token: str) -> dict | None:
    return cache.get(_status_key(token))


def _status_set(token: str, status: dict) -> None:
    cache.set(_status_key(token), status, timeout=settings.ADMIN_IMPORT_KEEP_SECONDS)


def import_job_queue(*, upload: ImportUpload, mode: str) -> bool:
    """Mark a job queued; False if that upload has been applied or is applying.

    `cache.add` is atomic, so of two clicks on "Import" only one gets a job.
    """
    status = {"mode": mode, "state": State.QUEUED, "done": 0, "total": upload.rows}
    if mode == Mode.APPLY:
        claimed = cache.add(
            _status_key(upload.token) + ":apply",
            True,
            timeout=settings.ADMIN_IMPORT_KEEP_SECONDS,
        )
        if not claimed:
            return False
    _status_set(upload.token, status)
    return True


def import_job_fail(*, token: str, mode: str, message: str) -> None:
    """Record a job that wrote nothing; a failed import may be tried again."""
    _status_set(token, {"mode": mode, "state": State.FAILED, "error": message})
    if mode == Mode.APPLY:
        cache.delete(_status_key(token) + ":apply")


def import_job_run(*, token: str, mode: str, keep_good: bool = False) -> dict:
    """Run a preview (dry run) or the import of an upload; return its status.

    Safe to run twice: a job already done is not run again, and a job cut
    short (worker lost) wrote nothing, its transaction rolled back.
    """
    status = import_status_get(token=token) or {}
    if status.get("mode") == mode and status.get("state") == State.DONE:
        return status
    data = cache.get(_upload_key(token))
    if data is None:
        message = "The upload has expired; upload the file again."
        import_job_fail(token=token, mode=mode, message=message)
        # Just written by import_job_fail.
        return cast(dict, import_status_get(token=token))
    upload = ImportUpload(token=token, **data)
    # Each row is counted twice: validated, then imported.
    status = {"mode": mode, "state": State.RUNNING, "done": 0, "total": 2 * upload.rows}
    _status_set(token, status)
    last_written = 0

    def progress(rows: int) -> None:
        nonlocal last_written
        status["done"] += rows
        if status["done"] - last_written >= PROGRESS_STEP:
            last_written = status["done"]
            _status_set(token, status)

    try:
        columns, records = upload.records()
        report = product_import_records(
            records=records,
            columns=columns,
            user=User.objects.filter(pk=upload.user_id).first(),
            note=f"admin import {upload.file_name}"[:255],
            dry_run=mode == Mode.PREVIEW,
            keep_good=keep_good or mode == Mode.PREVIEW,
            validate_progress=progress,
            import_progress=progress,
        )
    except Exception:
        logger.exception("admin import %s (%s) failed", token[:8], mode)
        import_job_fail(
            token=token, mode=mode, message="The import failed; nothing was written."
        )
        return cast(dict, import_status_get(token=token))
    status = {
        "mode": mode,
        "state": State.DONE,
        "done": status["total"],
        "total": status["total"],
        "keep_good": keep_good,
        "report": {
            "lines": report.lines,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "categories_created": report.categories_created,
            "movements": report.movements,
            "applied": report.applied,
            "error_count": len(report.errors),
            "errors": report.errors[:ERRORS_KEPT],
        },
    }
    _status_set(token, status)
    return status
