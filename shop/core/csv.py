"""CSV out: the one writer every download and export goes through.

Rows are written by Python's csv module (quoting, embedded newlines), one
line at a time, so a million-row download streams in constant memory.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


class _Echo:
    """A file-like object csv.writer writes to, handing back each line."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    lineterminator: str = "\r\n",
) -> Iterator[str]:
    """Yield the header line, then one CSV line per row (None as empty)."""
    writer = csv.writer(_Echo(), lineterminator=lineterminator)
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def csv_response(
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    content_type: str = CSV_CONTENT_TYPE,
) -> StreamingHttpResponse:
    """A streamed CSV download named `filename`."""
    return StreamingHttpResponse(
        csv_lines(header, rows),
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
