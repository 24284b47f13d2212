"""Create or update products from a CSV file, matched by SKU."""

import sys
from argparse import RawDescriptionHelpFormatter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from shop.catalog.services.imports import (
    ImportFileError,
    import_csv_read,
    product_import_records,
)

HELP = """\
Create or update products from a CSV file (UTF-8, comma-separated, header row),
matched by SKU (case-insensitive, stored upper-case).

Columns, in any order:
  sku             required; letters, digits and . _ / -, at most 64
  name            required; at most 200 characters
  price           required; greater than 0, at most 2 decimal places
  stock           wanted stock level, a whole number >= 0; the difference to
                  the current stock is recorded as an "import" stock movement
  category_slug   category by slug; a missing category is created; blank
                  means no category
  description     free text
  is_active       true/false (also 1/0, yes/no)
  slug            URL slug; derived from the name for new products if absent

A column left out of the file keeps the current values of existing products
(new products get the defaults: no category, empty description, active, stock
0); a blank stock or is_active cell also keeps the current value. This is the
format the admin's "Export selected products as CSV" action writes.

Every line is validated first and every error is reported with its line
number. By default the import is all-or-nothing: if any line is bad, nothing
is written. With --keep-good the good lines are imported anyway. Either way
the command exits with status 1 when any line failed. --dry-run does all the
work in a transaction that is rolled back and reports what would change.
"""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file to import.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Validate and report what would change; write nothing.",
        )
        parser.add_argument(
            "--keep-good",
            action="store_true",
            help="Import the valid lines even if some lines are bad (the exit "
            "status is still 1).",
        )

    def handle(self, *args, file: Path, dry_run: bool, keep_good: bool, **options):
        verbosity = options["verbosity"]
        columns, records = self._read(file)
        # tqdm writes carriage returns; Django's OutputWrapper would add
        # newlines, so hand it the underlying stream.
        stream = getattr(self.stderr, "_out", sys.stderr)
        bar_options = {"unit": "line", "file": stream, "leave": True}
        with (
            tqdm(
                total=len(records),
                desc="validating",
                disable=verbosity < 1 or len(records) < 1000,
                **bar_options,
            ) as validating,
            tqdm(
                total=len(records),
                desc="importing",
                disable=verbosity < 1 or len(records) < 1000,
                **bar_options,
            ) as importing,
        ):
            report = product_import_records(
                records=records,
                columns=columns,
                note=f"import {file.name}"[:255],
                dry_run=dry_run,
                keep_good=keep_good,
                validate_progress=validating.update,
                import_progress=importing.update,
            )
        errors = report.errors
        for line, message in errors:
            self.stderr.write(f"line {line}: {message}")

        ran = report.lines and (keep_good or not errors)
        if ran:
            prefix = "Would import" if dry_run else "Imported"
            self.stdout.write(
                self.style.SUCCESS(
                    f"{prefix} {report.lines} line(s): {report.created} created, "
                    f"{report.updated} updated, {report.unchanged} unchanged, "
                    f"{report.categories_created} categories created, "
                    f"{report.movements} stock movements."
                )
            )
        if errors:
            if not report.applied:
                kept = "dry run, nothing written" if dry_run else "nothing imported"
            else:
                kept = f"the other {report.lines} line(s) were imported"
            raise CommandError(f"{len(errors)} line(s) failed; {kept}.")
        if not records:
            self.stdout.write("The file has no data lines; nothing to do.")

    def _read(self, file: Path) -> tuple[list[str], list[tuple[int, dict]]]:
        try:
            handle = file.open(encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise CommandError(f"Cannot open {file}: {exc.strerror}") from exc
        with handle:
            try:
                return import_csv_read(handle)
            except ImportFileError as exc:
                raise CommandError(f"{file}: {exc}") from exc
