"""Product import from CSV: validate every line, then upsert by SKU in bulk.

Columns (header row required, any order):

    sku, name, price            required
    stock, category_slug,       optional; a column left out of the file keeps
    description, is_active,     existing products' values (new products get
    slug                        defaults); a blank stock or is_active cell
                                also keeps the current value

Stock is the wanted level: the difference to the current level is written
as an IMPORT movement, computed under the row lock.
"""

import csv
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from shop.catalog.models import Category, Product, StockMovement
from shop.catalog.pagination import product_counts_invalidate
from shop.catalog.services.products import product_slug_generate
from shop.catalog.services.stock import MAX_STOCK, products_lock, stock_set_many
from shop.catalog.validators import (
    sku_normalize,
    sku_problem,
    slug_normalize,
    slug_problem,
)
from shop.users.models import User

REQUIRED_COLUMNS = ("sku", "name", "price")
OPTIONAL_COLUMNS = ("stock", "category_slug", "description", "is_active", "slug")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
BATCH_SIZE = 1000
MAX_PRICE = Decimal("99999999.99")
TRUE_WORDS = {"true", "1", "yes", "y"}
FALSE_WORDS = {"false", "0", "no", "n"}


@dataclass
class ImportLine:
    line: int
    sku: str
    name: str
    price: Decimal
    stock: int | None = None
    category_slug: str | None = None
    description: str | None = None
    is_active: bool | None = None
    slug: str | None = None


@dataclass
class ImportReport:
    lines: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    categories_created: int = 0
    movements: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    applied: bool = False


class LineError(ValueError):
    pass


class ImportFileError(ValueError):
    """The file as a whole cannot be read: header, encoding or CSV syntax."""


Records = list[tuple[int, dict[str, str | None]]]


def import_csv_read(handle: TextIO) -> tuple[list[str], Records]:
    """Read a CSV import: its columns and (line number, record) pairs.

    Raises ImportFileError for a bad header, text that is not UTF-8 or
    malformed CSV; per-line problems are left to `import_lines_parse`.
    """
    try:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        columns = [(name or "").strip().lower() for name in header]
        reader.fieldnames = columns
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        unknown = [c for c in columns if c not in COLUMNS]
        if missing or unknown or len(set(columns)) != len(columns):
            raise ImportFileError(
                f"Bad header {header}: needs {', '.join(REQUIRED_COLUMNS)}; "
                f"allowed: {', '.join(COLUMNS)}; each once."
                + (f" Unknown: {', '.join(unknown)}." if unknown else "")
            )
        # The line a record ends on: what a spreadsheet shows for a one-line
        # record, and past a multi-line cell still where to look.
        return columns, [(reader.line_num, row) for row in reader]
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"The file is not UTF-8 text: {exc}") from exc
    except csv.Error as exc:
        raise ImportFileError(f"Malformed CSV: {exc}") from exc


def _price(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise LineError(f"price {text!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise LineError("price must be greater than 0")
    if value != value.quantize(Decimal("0.01")):
        raise LineError("price has more than 2 decimal places")
    if value > MAX_PRICE:
        raise LineError(f"price must be at most {MAX_PRICE}")
    return value.quantize(Decimal("0.01"))


def _stock(text: str) -> int | None:
    if text == "":
        return None
    if not text.isdigit():
        raise LineError(f"stock {text!r} is not a whole number of at least 0")
    value = int(text)
    if value > MAX_STOCK:
        raise LineError(f"stock must be at most {MAX_STOCK}")
    return value


def _flag(text: str) -> bool | None:
    word = text.lower()
    if word == "":
        return None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise LineError(f"is_active {text!r} is not true/false")


def import_line_parse(line: int, row: Mapping[str, str | None]) -> ImportLine:
    """Validate one CSV record; raise LineError with every problem found."""
    problems = []
    cells = {}
    for column in COLUMNS:
        value = row.get(column)
        if value is None:
            continue
        if "\x00" in value:
            problems.append(f"{column} contains a NUL character")
            continue
        cells[column] = value.strip() if column != "description" else value
    if None in row:
        problems.append("more cells than header columns")
    sku = sku_normalize(cells.get("sku", ""))
    name = cells.get("name", "")
    if problem := sku_problem(sku):
        problems.append(problem)
    if not name:
        problems.append("name is required")
    elif len(name) > 200:
        problems.append("name is longer than 200 characters")
    parsed = ImportLine(line=line, sku=sku, name=name, price=Decimal("0"))
    for column, parse in (("price", _price), ("stock", _stock), ("is_active", _flag)):
        if column in cells:
            try:
                setattr(parsed, column, parse(cells[column]))
            except LineError as exc:
                problems.append(str(exc))
    if "price" not in cells or cells["price"] == "":
        problems.append("price is required")
    for column in ("category_slug", "slug"):
        if column in cells:
            value = slug_normalize(cells[column])
            if value and slug_problem(value):
                problems.append(f"{column} {value!r} is not a valid slug")
            setattr(parsed, column, value)
    if "description" in cells:
        if len(cells["description"]) > 10_000:
            problems.append("description is longer than 10000 characters")
        parsed.description = cells["description"]
    if problems:
        raise LineError("; ".join(dict.fromkeys(problems)))
    return parsed


def import_lines_parse(
    records: Iterable[tuple[int, Mapping[str, str | None]]],
    *,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[ImportLine], list[tuple[int, str]]]:
    """Validate every record; return the good lines and (line, error) pairs."""
    good: list[ImportLine] = []
    errors: list[tuple[int, str]] = []
    first_line_of: dict[str, int] = {}
    for line, row in records:
        try:
            parsed = import_line_parse(line, row)
        except LineError as exc:
            errors.append((line, str(exc)))
        else:
            if parsed.sku in first_line_of:
                errors.append(
                    (line, f"sku {parsed.sku} repeats line {first_line_of[parsed.sku]}")
                )
            else:
                first_line_of[parsed.sku] = line
                good.append(parsed)
        if progress:
            progress(1)
    return good, errors


def import_lines_check(lines: list[ImportLine]) -> list[tuple[int, str]]:
    """Errors only the database can tell: explicit slugs owned by others."""
    errors = []
    wanted: dict[str, ImportLine] = {}
    for ln in lines:
        if not ln.slug:
            continue
        if ln.slug in wanted:
            errors.append(
                (ln.line, f"slug {ln.slug} repeats line {wanted[ln.slug].line}")
            )
        else:
            wanted[ln.slug] = ln
    slugs = list(wanted)
    for start in range(0, len(slugs), BATCH_SIZE):
        owners = Product.objects.filter(
            slug__in=slugs[start : start + BATCH_SIZE]
        ).values_list("slug", "sku")
        for slug, sku in owners:
            if wanted[slug].sku != sku:
                errors.append(
                    (wanted[slug].line, f"slug {slug} belongs to product {sku}")
                )
    return sorted(errors)


def _categories_ensure(slugs: set[str], report: ImportReport) -> dict[str, int]:
    ids = dict(Category.objects.filter(slug__in=slugs).values_list("slug", "id"))
    missing = sorted(slugs - set(ids))
    if missing:
        Category.objects.bulk_create(
            [
                Category(slug=slug, name=slug.replace("-", " ").capitalize())
                for slug in missing
            ],
            batch_size=BATCH_SIZE,
        )
        ids.update(Category.objects.filter(slug__in=missing).values_list("slug", "id"))
        report.categories_created = len(missing)
    return ids


@transaction.atomic
def product_import(
    *,
    lines: list[ImportLine],
    columns: Iterable[str],
    user: User | None = None,
    note: str = "import",
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Upsert products by SKU in bulk; stock differences become IMPORT movements.

    Either everything is written or nothing (one transaction). With
    `dry_run` the same work is done and then rolled back, so the report is
    exactly what a real run would do.
    """
    columns = set(columns)
    report = ImportReport(lines=len(lines))
    slugs = {ln.category_slug for ln in lines if ln.category_slug}
    category_ids = _categories_ensure(slugs, report) if slugs else {}
    now = timezone.now()
    stock_targets: dict[int, int] = {}
    new: list[tuple[ImportLine, Product]] = []
    updated_pks: set[int] = set()
    updatable = ["name", "price"] + [
        c for c in ("description", "is_active", "slug") if c in columns
    ]
    if "category_slug" in columns:
        updatable.append("category_id")

    for start in range(0, len(lines), BATCH_SIZE):
        batch = lines[start : start + BATCH_SIZE]
        skus = {ln.sku for ln in batch}
        # Locked like every stock writer (pk order), so concurrent writers
        # queue; a SKU changed before the lock no longer matches and is left.
        locked = products_lock(
            ids=Product.objects.filter(sku__in=skus).values_list("pk", flat=True)
        )
        existing = {p.sku: p for p in locked.values() if p.sku in skus}
        changed = []
        for ln in batch:
            values = {"name": ln.name, "price": ln.price}
            if ln.description is not None:
                values["description"] = ln.description
            if ln.is_active is not None:
                values["is_active"] = ln.is_active
            if ln.slug:
                values["slug"] = ln.slug
            if ln.category_slug is not None:
                values["category_id"] = category_ids.get(ln.category_slug)
            product = existing.get(ln.sku)
            if product is None:
                new.append((ln, Product(sku=ln.sku, stock=ln.stock or 0, **values)))
                continue
            if any(getattr(product, k) != v for k, v in values.items()):
                for key, value in values.items():
                    setattr(product, key, value)
                product.updated_at = now
                changed.append(product)
            if ln.stock is not None and ln.stock != product.stock:
                stock_targets[product.pk] = ln.stock
        Product.objects.bulk_update(changed, [*updatable, "updated_at"])
        updated_pks.update(p.pk for p in changed)
        if progress:
            progress(len(batch))

    report.updated = len(updated_pks | set(stock_targets))
    report.unchanged = len(lines) - len(new) - report.updated
    report.movements += stock_set_many(
        targets=stock_targets,
        reason=StockMovement.Reason.IMPORT,
        user=user,
        note=note,
    )

    if new:
        taken_slugs = set(Product.objects.values_list("slug", flat=True))
        taken_slugs.update(product.slug for _, product in new if product.slug)
        for ln, product in new:
            if not product.slug:
                product.slug = product_slug_generate(
                    name=ln.name, sku=ln.sku, taken=taken_slugs
                )
            taken_slugs.add(product.slug)
        for start in range(0, len(new), BATCH_SIZE):
            created = Product.objects.bulk_create(
                [product for _, product in new[start : start + BATCH_SIZE]]
            )
            # New rows are invisible to other transactions until commit, so
            # their opening stock is written with its movement directly.
            movements = [
                StockMovement(
                    product=product,
                    delta=product.stock,
                    reason=StockMovement.Reason.IMPORT,
                    user=user,
                    note=note[:255],
                )
                for product in created
                if product.stock
            ]
            StockMovement.objects.bulk_create(movements)
            report.movements += len(movements)
        report.created = len(new)

    report.applied = not dry_run
    if dry_run:
        transaction.set_rollback(True)
    else:
        transaction.on_commit(product_counts_invalidate)
    return report


def product_import_records(
    *,
    records: Records,
    columns: Iterable[str],
    user: User | None = None,
    note: str = "import",
    dry_run: bool = False,
    keep_good: bool = False,
    validate_progress: Callable[[int], None] | None = None,
    import_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate every record, then import the good lines, all or nothing.

    Good lines are imported only when no line failed, or with `keep_good`;
    `report.errors` lists every failed line, `report.applied` says whether
    anything was written. A dry run reports what the import would do.
    """
    lines, errors = import_lines_parse(records, progress=validate_progress)
    errors = sorted(errors + import_lines_check(lines))
    bad = {line for line, _ in errors}
    lines = [ln for ln in lines if ln.line not in bad]
    if lines and (keep_good or not errors):
        report = product_import(
            lines=lines,
            columns=columns,
            user=user,
            note=note,
            dry_run=dry_run,
            progress=import_progress,
        )
    else:
        report = ImportReport(lines=len(lines))
    report.errors = errors
    return report
