"""Product images through the API, on the local filesystem and on S3."""

import io
import os
import urllib.request
import uuid

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from shop.catalog.models import Product
from shop.catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def image_bytes(format="PNG", size=(64, 48), noise=False) -> bytes:
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return buffer.getvalue()


def upload(client, product, content: bytes, name="photo.png"):
    file = io.BytesIO(content)
    file.name = name
    return client.post(
        f"/api/v1/products/{product.pk}/image/", {"image": file}, format="multipart"
    )


@pytest.fixture
def local_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return tmp_path


@pytest.fixture
def bucket(settings, s3, aws):
    name = f"shop-media-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    # What base.py builds from AWS_STORAGE_BUCKET_NAME and AWS_S3_* variables.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "region_name": "us-east-1",
                "endpoint_url": aws,
                # The default: a private bucket, clients get signed URLs.
                "querystring_auth": True,
                "file_overwrite": False,
                "default_acl": None,
            },
        },
    }
    return name


def test_staff_upload_is_stored_locally_and_exposed_as_an_absolute_url(
    staff_client, api_client, local_media
):
    product = ProductFactory()
    content = image_bytes()

    response = upload(staff_client, product, content)

    assert response.status_code == 200
    url = response.json()["image"]
    assert url.startswith("http://testserver/media/products/")
    assert url.endswith(".png")
    name = Product.objects.get(pk=product.pk).image.name
    assert (local_media / name).read_bytes() == content
    assert api_client.get(f"/api/v1/products/{product.pk}/").json()["image"] == url
    listed = api_client.get("/api/v1/products/").json()["results"]
    assert [row["image"] for row in listed] == [url]


def test_upload_lands_in_the_s3_bucket_and_is_readable_back(
    staff_client, s3, bucket, aws
):
    product = ProductFactory()
    content = image_bytes("JPEG")

    response = upload(staff_client, product, content, name="../../etc/passwd.jpeg")

    assert response.status_code == 200
    key = Product.objects.get(pk=product.pk).image.name
    assert key.startswith("products/") and key.endswith(".jpg")
    stored = s3.get_object(Bucket=bucket, Key=key)
    assert stored["Body"].read() == content
    assert stored["ContentType"] == "image/jpeg"
    url = response.json()["image"]
    assert url.startswith(f"{aws}/{bucket}/{key}?")
    assert "Signature" in url
    with urllib.request.urlopen(url) as fetched:  # the URL clients will follow
        assert fetched.read() == content


def test_replacing_and_removing_the_image_deletes_old_files(
    staff_client, s3, bucket, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    with django_capture_on_commit_callbacks(execute=True):
        upload(staff_client, product, image_bytes())
    first = Product.objects.get(pk=product.pk).image.name

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(staff_client, product, image_bytes("WEBP"), "new.webp")
    second = Product.objects.get(pk=product.pk).image.name

    assert response.json()["image"].split("?")[0].endswith(".webp")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [second]
    assert first != second

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.delete(f"/api/v1/products/{product.pk}/image/")
    assert response.status_code == 200
    assert response.json()["image"] is None
    assert s3.list_objects_v2(Bucket=bucket).get("Contents", []) == []


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"this is not an image at all", "notes.png"),
        (image_bytes("GIF"), "anim.gif"),
        (image_bytes(size=(4097, 8)), "wide.png"),
        (image_bytes(size=(8, 4097)), "tall.png"),
        (image_bytes(size=(1340, 1340), noise=True), "huge.png"),
    ],
    ids=["text-renamed-png", "gif", "too-wide", "too-tall", "over-5mb"],
)
def test_invalid_images_are_rejected(staff_client, local_media, content, name):
    product = ProductFactory()

    response = upload(staff_client, product, content, name)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert "image" in body["extra"]["fields"]
    assert not Product.objects.get(pk=product.pk).image
    assert list(local_media.iterdir()) == []


def test_the_5mb_case_really_is_over_5mb():
    assert len(image_bytes(size=(1340, 1340), noise=True)) > 5 * 1024 * 1024


def test_only_staff_may_upload(api_client, customer_client, local_media):
    product = ProductFactory()

    assert upload(api_client, product, image_bytes()).status_code == 401
    assert upload(customer_client, product, image_bytes()).status_code == 403
    assert not Product.objects.get(pk=product.pk).image


def test_upload_to_an_unknown_product_is_404(staff_client, local_media):
    product = ProductFactory.build(pk=987654)
    assert upload(staff_client, product, image_bytes()).status_code == 404


def admin_product_form(product, **overrides):
    data = {
        "name": product.name,
        "slug": product.slug,
        "sku": product.sku,
        "category": "",
        "price": str(product.price),
        "description": "",
        "is_active": "on",
        "stock_change": "",
        "stock_reason": "adjustment",
        "stock_note": "",
        "movements-TOTAL_FORMS": "0",
        "movements-INITIAL_FORMS": "0",
        "movements-MIN_NUM_FORMS": "0",
        "movements-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_staff_upload_an_image_in_the_admin(staff, client, local_media):
    product = ProductFactory()
    client.force_login(staff)
    url = f"/admin/catalog/product/{product.pk}/change/"
    page = client.get(url)
    assert b'name="image"' in page.content
    assert b'enctype="multipart/form-data"' in page.content
    content = image_bytes("JPEG")
    file = io.BytesIO(content)
    file.name = "shelf.jpg"

    response = client.post(url, admin_product_form(product, image=file))

    assert response.status_code == 302
    name = Product.objects.get(pk=product.pk).image.name
    assert name.startswith("products/") and name.endswith(".jpg")
    assert (local_media / name).read_bytes() == content


def test_admin_refuses_an_oversized_image(staff, client, local_media):
    product = ProductFactory()
    client.force_login(staff)
    file = io.BytesIO(image_bytes(size=(5000, 10)))
    file.name = "banner.png"

    response = client.post(
        f"/admin/catalog/product/{product.pk}/change/",
        admin_product_form(product, image=file),
    )

    assert response.status_code == 200
    assert b"4096x4096" in response.content
    assert not Product.objects.get(pk=product.pk).image


def test_default_storage_is_the_local_filesystem():
    assert default_storage.__class__.__name__ == "FileSystemStorage"
