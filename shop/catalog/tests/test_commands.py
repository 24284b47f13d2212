import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from shop.catalog.models import Category, Product, StockMovement
from shop.catalog.tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

HEADER = "sku,name,price,stock,category_slug,description,is_active\n"


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path, text, name="products.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def assert_ledger_consistent():
    for product in Product.objects.annotate(ledger=Sum("movements__delta")):
        assert product.stock == (product.ledger or 0), product.sku


# --- import_products ---------------------------------------------------------


def test_import_creates_and_updates_by_sku(tmp_path):
    existing = ProductFactory(sku="LAMP-1", stock=10, price=Decimal("5.00"))
    untouched = ProductFactory(sku="DESK-1", stock=4, name="Desk")
    path = write(
        tmp_path,
        HEADER
        + "lamp-1,Lamp,6.50,7,lights,Bright,true\n"
        + "DESK-1,Desk,10.00,,,,\n"
        + 'new-1,"Chair, oak",49.99,3,furniture,"Two\nlines",false\n'
        + "new-2,Stool,12,,furniture,,\n",
    )
    out, _ = run("import_products", path)
    assert "2 created" in out
    existing.refresh_from_db()
    assert (existing.name, existing.price, existing.stock) == (
        "Lamp",
        Decimal("6.50"),
        7,
    )
    assert existing.category.slug == "lights"
    movement = existing.movements.first()
    assert (movement.delta, movement.reason) == (-3, StockMovement.Reason.IMPORT)
    chair = Product.objects.get(sku="NEW-1")
    assert (chair.name, chair.stock, chair.is_active) == ("Chair, oak", 3, False)
    assert chair.description == "Two\nlines"
    assert chair.slug == "chair-oak"
    assert chair.movements.get().reason == StockMovement.Reason.IMPORT
    stool = Product.objects.get(sku="NEW-2")
    assert (stool.stock, stool.is_active) == (0, True)
    assert Category.objects.get(slug="furniture").name == "Furniture"
    untouched.refresh_from_db()
    assert untouched.stock == 4
    assert untouched.category is None
    assert_ledger_consistent()


def test_import_keeps_values_of_missing_columns(tmp_path):
    category = CategoryFactory(slug="lights")
    product = ProductFactory(
        sku="LAMP-1", category=category, description="Keep me", stock=5
    )
    path = write(tmp_path, "sku,name,price\nLAMP-1,Lamp,9.00\n")
    run("import_products", path)
    product.refresh_from_db()
    assert (product.category, product.description, product.stock) == (
        category,
        "Keep me",
        5,
    )
    assert product.price == Decimal("9.00")


def test_import_reports_every_bad_line_and_writes_nothing(tmp_path):
    ProductFactory(sku="LAMP-1", stock=10)
    path = write(
        tmp_path,
        HEADER
        + "LAMP-1,Lamp,6.50,7,,,\n"  # line 2: fine
        + "BAD-1,,0,-1,,,maybe\n"  # line 3
        + "BAD-2,Thing,1.234,1.5,Not A Slug,,\n"  # line 4
        + "lamp-1,Again,1.00,1,,,\n"  # line 5: repeats line 2
        + "bad sku,X,abc,99999999999,,,\n",  # line 6
    )
    with pytest.raises(CommandError, match="4 line.*nothing imported"):
        run("import_products", path)
    assert Product.objects.count() == 1
    assert Product.objects.get().stock == 10
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_products", path, stdout=io.StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "line 3",
        "line 4",
        "line 5",
        "line 6",
    ]
    assert "name is required" in lines[0]
    assert "price must be greater than 0" in lines[0]
    assert "is_active" in lines[0]
    assert "2 decimal places" in lines[1]
    assert "repeats line 2" in lines[2]


def test_import_keep_good_imports_valid_lines_and_still_fails(tmp_path):
    path = write(tmp_path, HEADER + "OK-1,Fine,1.00,2,,,\nBAD-1,,1.00,,,,\n")
    with pytest.raises(CommandError, match="1 line.*imported"):
        run("import_products", path, "--keep-good")
    assert list(Product.objects.values_list("sku", "stock")) == [("OK-1", 2)]


def test_import_dry_run_changes_nothing(tmp_path):
    product = ProductFactory(sku="LAMP-1", stock=10)
    path = write(tmp_path, HEADER + "LAMP-1,Lamp,6.50,7,new-cat,,\nNEW-1,N,1,5,,,\n")
    out, _ = run("import_products", path, "--dry-run")
    assert "Would import 2 line(s): 1 created, 1 updated" in out
    assert "2 stock movements" in out
    product.refresh_from_db()
    assert product.stock == 10
    assert Product.objects.count() == 1
    assert not Category.objects.filter(slug="new-cat").exists()
    assert product.movements.count() == 1


def test_import_rerun_is_a_no_op(tmp_path):
    path = write(tmp_path, HEADER + "A-1,A,1.00,3,cat,,true\n")
    run("import_products", path)
    out, _ = run("import_products", path)
    assert "0 created, 0 updated, 1 unchanged" in out
    assert StockMovement.objects.count() == 1


def test_import_refuses_a_bad_header(tmp_path):
    path = write(tmp_path, "sku,name,stok\nA,B,1\n")
    with pytest.raises(CommandError, match="price"):
        run("import_products", path)


def test_import_refuses_a_slug_owned_by_another_product(tmp_path):
    ProductFactory(sku="OTHER", slug="lamp")
    path = write(tmp_path, "sku,name,price,slug\nLAMP-1,Lamp,1.00,lamp\n")
    with pytest.raises(CommandError):
        run("import_products", path)
    assert not Product.objects.filter(sku="LAMP-1").exists()


def test_import_missing_file_and_binary_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot open"):
        run("import_products", str(tmp_path / "nope.csv"))
    path = tmp_path / "bin.csv"
    path.write_bytes(b"sku,name,price\n\xff\xfe,x,1\n")
    with pytest.raises(CommandError, match="UTF-8"):
        run("import_products", str(path))


def test_import_many_lines_in_batches(tmp_path):
    body = "".join(
        f"SKU-{n},Item {n},{n % 50 + 1}.00,{n % 7},c{n % 3},,\n" for n in range(2500)
    )
    path = write(tmp_path, HEADER + body)
    out, _ = run("import_products", path)
    assert "2500 created" in out
    assert Product.objects.count() == 2500
    assert_ledger_consistent()
    body = "".join(f"SKU-{n},Item {n},2.00,{n % 5},c{n % 3},,\n" for n in range(2500))
    out, _ = run("import_products", write(tmp_path, HEADER + body, "again.csv"))
    assert "0 created" in out
    assert_ledger_consistent()


# --- low_stock -----------------------------------------------------------------


def test_low_stock_lists_active_products_at_or_below_threshold():
    ProductFactory(sku="EMPTY", stock=0)
    ProductFactory(sku="FEW", stock=3)
    ProductFactory(sku="MANY", stock=30)
    ProductFactory(sku="GONE", stock=0, is_active=False)
    out, _ = run("low_stock", "--threshold", "3")
    assert [line.split("\t")[0] for line in out.splitlines()[:-1]] == ["EMPTY", "FEW"]
    assert "2 active product(s)" in out


def test_low_stock_default_threshold_from_settings(settings):
    settings.SHOP_LOW_STOCK_THRESHOLD = 0
    ProductFactory(sku="EMPTY", stock=0)
    ProductFactory(sku="FEW", stock=1)
    out, _ = run("low_stock")
    assert "EMPTY" in out and "FEW" not in out
    with pytest.raises(CommandError):
        run("low_stock", "--threshold", "-1")


# --- check_stock ---------------------------------------------------------------


def test_check_stock_passes_on_a_consistent_ledger():
    ProductFactory.create_batch(3)
    ProductFactory(stock=0)
    out, _ = run("check_stock")
    assert "matches" in out


def test_check_stock_names_drifting_products():
    ProductFactory(sku="GOOD")
    bad = ProductFactory(sku="BAD", stock=5)
    Product.objects.filter(pk=bad.pk).update(stock=9)
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 product"):
        call_command("check_stock", stdout=io.StringIO(), stderr=err)
    assert "BAD" in err.getvalue()
    assert "drift +4" in err.getvalue()
    assert "GOOD" not in err.getvalue()


def test_check_stock_runs_one_query(django_assert_num_queries):
    ProductFactory.create_batch(5)
    with django_assert_num_queries(1):
        run("check_stock")
