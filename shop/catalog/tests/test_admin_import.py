"""The product list's "Import CSV": permissions, preview, errors, apply, jobs."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from shop.catalog import tasks
from shop.catalog.models import Product, StockMovement
from shop.catalog.services import import_jobs
from shop.catalog.services.import_jobs import Mode, import_job_run, import_status_get
from shop.catalog.tests.factories import ProductFactory
from shop.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/catalog/product/"
UPLOAD = "/admin/catalog/product/import/"
HEADER = "sku,name,price,stock,category_slug,description,is_active\n"


@pytest.fixture
def client_staff(staff):
    client = Client()
    client.force_login(staff)
    return client


def csv_file(text: str | bytes, name="products.csv"):
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def upload(client, text, name="products.csv"):
    return client.post(UPLOAD, {"file": csv_file(text, name)})


def preview(client, text):
    response = upload(client, text)
    assert response.status_code == 302, response.content
    status_url = response["Location"]
    return status_url, client.get(status_url)


@pytest.fixture
def three_rows():
    ProductFactory(sku="LAMP-1", name="Lamp", price=Decimal("5.00"), stock=10)
    ProductFactory(
        sku="DESK-1",
        name="Desk",
        price=Decimal("10.00"),
        stock=4,
        description="",
        category=None,
    )
    return (
        HEADER
        + "LAMP-1,Lamp,6.50,7,,,\n"  # update (price, stock)
        + "DESK-1,Desk,10.00,,,,\n"  # unchanged
        + "NEW-1,Chair,49.99,3,furniture,Oak,true\n"  # create
    )


def user_with(*codenames):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="catalog", codename__in=codenames
        )
    )
    client = Client()
    client.force_login(user)
    return client


# --- Permissions ------------------------------------------------------------


def test_the_button_shows_for_staff_who_may_add_and_change_products(client_staff):
    response = client_staff.get(CHANGELIST)
    assert b'id="import-csv-link"' in response.content
    assert client_staff.get(UPLOAD).status_code == 200


@pytest.mark.parametrize(
    "codenames",
    [("view_product", "change_product"), ("view_product", "add_product")],
)
def test_without_add_and_change_rights_no_button_and_403(codenames, three_rows):
    client = user_with(*codenames)
    assert client.get(CHANGELIST).status_code == 200
    assert b'id="import-csv-link"' not in client.get(CHANGELIST).content
    assert client.get(UPLOAD).status_code == 403
    assert upload(client, three_rows).status_code == 403
    assert client.get(UPLOAD + "some-token/").status_code == 403


def test_an_upload_belongs_to_its_uploader(client_staff, three_rows):
    status_url, _ = preview(client_staff, three_rows)
    other = user_with("view_product", "add_product", "change_product")
    assert other.get(status_url).status_code == 404
    assert other.post(status_url).status_code == 404
    assert client_staff.get(UPLOAD + "no-such-token/").status_code == 404


# --- Preview ------------------------------------------------------------------


def test_the_preview_counts_rows_to_create_update_and_leave_and_writes_nothing(
    client_staff, three_rows
):
    _, response = preview(client_staff, three_rows)

    assert response.status_code == 200
    report = response.context["report"]
    assert (report["created"], report["updated"], report["unchanged"]) == (1, 1, 1)
    assert report["error_count"] == 0
    assert b'id="import-preview"' in response.content
    assert b'id="import-apply"' in response.content
    assert not Product.objects.filter(sku="NEW-1").exists()
    assert Product.objects.get(sku="LAMP-1").price == Decimal("5.00")


def test_the_preview_lists_every_error_with_its_line_number(client_staff):
    text = (
        HEADER
        + "GOOD-1,Good,1.00,1,,,\n"  # line 2
        + 'MULTI-1,Multi,2.00,1,,"two\nlines",\n'  # lines 3-4
        + "BAD-1,Bad,-3,1,,,\n"  # line 5
        + "BAD-2,,4.00,x,,,\n"  # line 6
        + "GOOD-1,Again,1.00,1,,,\n"  # line 7
    )
    _, response = preview(client_staff, text)

    report = response.context["report"]
    assert report["error_count"] == 3
    lines = [line for line, _ in report["errors"]]
    assert lines == [5, 6, 7]
    messages = dict(report["errors"])
    assert "price must be greater than 0" in messages[5]
    assert "name is required" in messages[6] and "stock 'x'" in messages[6]
    assert "repeats line 2" in messages[7]
    assert report["created"] == 2  # the good lines
    assert b'<td class="line">5</td>' in response.content
    assert b'name="keep_good"' in response.content


# --- Files refused with a form error ------------------------------------------


@pytest.mark.parametrize(
    "content, message",
    [
        (b"sku;name;price\nA;B;1\n", b"Bad header"),
        (b"sku,name,price\nA,Caf\xe9,1\n", b"not UTF-8"),
        (HEADER.encode(), b"no data lines"),
        (b"", b"The submitted file is empty"),
    ],
)
def test_an_unreadable_file_is_a_400_form_error(client_staff, content, message):
    response = upload(client_staff, content)
    assert response.status_code == 400
    assert message in response.content


def test_a_file_above_the_size_cap_is_refused(client_staff, settings, three_rows):
    settings.ADMIN_IMPORT_MAX_BYTES = 50
    response = upload(client_staff, three_rows)
    assert response.status_code == 400
    assert b"larger than" in response.content


def test_a_bom_from_spreadsheet_exports_is_accepted(client_staff):
    _, response = preview(client_staff, "\ufeff" + HEADER + "BOM-1,Bom,1.00,1,,,\n")
    assert response.context["report"]["created"] == 1


# --- Apply --------------------------------------------------------------------


def test_apply_imports_and_returns_to_the_product_list(client_staff, staff, three_rows):
    status_url, _ = preview(client_staff, three_rows)

    response = client_staff.post(status_url, follow=True)

    assert response.redirect_chain[-1][0] == CHANGELIST
    assert "1 created, 1 updated, 1 unchanged" in str(response.content)
    chair = Product.objects.get(sku="NEW-1")
    assert (chair.name, chair.stock, chair.category.slug) == ("Chair", 3, "furniture")
    lamp = Product.objects.get(sku="LAMP-1")
    assert (lamp.price, lamp.stock) == (Decimal("6.50"), 7)
    movement = lamp.movements.order_by("-id").first()
    assert (movement.delta, movement.reason, movement.user) == (
        -3,
        StockMovement.Reason.IMPORT,
        staff,
    )
    # The same upload cannot be imported twice.
    again = client_staff.post(status_url, follow=True)
    assert "has been imported" in str(again.content)


def test_with_errors_apply_writes_nothing_unless_told_to_keep_good_lines(
    client_staff,
):
    text = HEADER + "GOOD-1,Good,1.00,1,,,\n" + "BAD-1,Bad,-3,1,,,\n"
    status_url, _ = preview(client_staff, text)

    refused = client_staff.post(status_url, follow=True)
    assert "Some lines have errors" in str(refused.content)
    assert not Product.objects.filter(sku="GOOD-1").exists()

    kept = client_staff.post(status_url, {"keep_good": "on"}, follow=True)
    assert "1 created" in str(kept.content)
    assert "1 line(s) skipped" in str(kept.content)
    assert Product.objects.filter(sku="GOOD-1").exists()
    assert not Product.objects.filter(sku="BAD-1").exists()


# --- Large files: the background job -------------------------------------------


@pytest.fixture
def queued(monkeypatch):
    """Tasks sent to the broker, not run: as when workers are busy."""
    sent = []
    monkeypatch.setattr(
        tasks.product_import_job, "delay", lambda *args: sent.append(args)
    )
    return sent


def test_a_large_file_is_previewed_and_imported_by_a_task_with_progress(
    client_staff, settings, three_rows, queued, django_capture_on_commit_callbacks
):
    settings.ADMIN_IMPORT_BACKGROUND_ROWS = 2
    with django_capture_on_commit_callbacks(execute=True):
        status_url, response = preview(client_staff, three_rows)
    token = status_url.rstrip("/").rsplit("/", 1)[1]

    # Queued: the page says so and reloads itself.
    assert queued == [(token, Mode.PREVIEW, False)]
    assert b"Waiting for a worker" in response.content
    assert response["Refresh"] == "2"
    assert b'http-equiv="refresh"' in response.content

    # The worker runs the task: the preview is ready.
    tasks.product_import_job(*queued.pop())
    response = client_staff.get(status_url)
    assert "Refresh" not in response
    assert response.context["report"]["created"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = client_staff.post(status_url)
    assert response["Location"] == status_url
    assert queued == [(token, Mode.APPLY, False)]
    assert b"Waiting for a worker" in client_staff.get(status_url).content
    assert not Product.objects.filter(sku="NEW-1").exists()

    tasks.product_import_job(*queued.pop())
    response = client_staff.get(status_url)
    assert b'id="import-result"' in response.content
    assert response.context["status"]["done"] == response.context["status"]["total"]
    assert Product.objects.filter(sku="NEW-1").exists()


def test_the_job_writes_its_progress_while_it_runs(
    client_staff, settings, monkeypatch, queued, django_capture_on_commit_callbacks
):
    settings.ADMIN_IMPORT_BACKGROUND_ROWS = 10
    monkeypatch.setattr(import_jobs, "PROGRESS_STEP", 100)
    text = HEADER + "".join(f"P-{i},Product {i},1.00,1,,,\n" for i in range(300))
    with django_capture_on_commit_callbacks(execute=True):
        status_url, _ = preview(client_staff, text)
    token = status_url.rstrip("/").rsplit("/", 1)[1]
    seen = []
    original = import_jobs._status_set
    monkeypatch.setattr(
        import_jobs,
        "_status_set",
        lambda t, status: (seen.append(dict(status)), original(t, status)),
    )

    import_job_run(token=token, mode=Mode.PREVIEW)

    running = [s["done"] for s in seen if s["state"] == "running"]
    assert running[0] == 0 and len(running) >= 5  # 600 counted rows, every 100
    assert running == sorted(running)
    assert import_status_get(token=token)["state"] == "done"


def test_running_the_import_task_twice_imports_once(
    client_staff, settings, three_rows, queued, django_capture_on_commit_callbacks
):
    settings.ADMIN_IMPORT_BACKGROUND_ROWS = 2
    status_url = upload(client_staff, three_rows)["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        client_staff.get(status_url)
    tasks.product_import_job(*queued.pop())
    with django_capture_on_commit_callbacks(execute=True):
        client_staff.post(status_url)
    args = queued.pop()

    tasks.product_import_job(*args)
    tasks.product_import_job(*args)  # redelivered

    assert Product.objects.filter(sku="NEW-1").count() == 1
    assert StockMovement.objects.filter(product__sku="NEW-1").count() == 1


def test_without_a_broker_a_large_file_runs_in_process(
    client_staff, settings, three_rows, django_capture_on_commit_callbacks
):
    # The embedded default: CELERY_TASK_ALWAYS_EAGER runs the task on send
    # (right away in a request; here when the test's transaction "commits").
    settings.ADMIN_IMPORT_BACKGROUND_ROWS = 2
    status_url = upload(client_staff, three_rows)["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        client_staff.get(status_url)
    assert client_staff.get(status_url).context["report"]["created"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        client_staff.post(status_url)
    assert b'id="import-result"' in client_staff.get(status_url).content
    assert Product.objects.filter(sku="NEW-1").exists()
