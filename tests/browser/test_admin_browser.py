"""Drive the admin in headless Chromium: product, order, shipping, reports, the
CSV import and the forgotten-password flow.

Needs Debian's `chromium` and `chromium-driver` (.ci/run installs them);
skipped cleanly without them. The Reports page screenshot is saved to
artifacts/browser/reports.png (see docs/reports.md).
"""

import os
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from shop.catalog.models import Product
from shop.orders.models import Order
from shop.users.tests.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory
from shop.users.tests.links import mail_link

CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(settings.BASE_DIR) / "artifacts" / "browser"
SCREENSHOT = ARTIFACTS / "reports.png"

webdriver = pytest.importorskip("selenium.webdriver")
requests = pytest.importorskip("requests")

from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (shutil.which("chromium") and os.path.exists(CHROMEDRIVER)),
    reason="needs Debian's chromium and chromium-driver",
)


@pytest.fixture
def browser():
    profile = tempfile.mkdtemp(prefix="shop-chromium-")
    options = webdriver.ChromeOptions()
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1600",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver, css):
    return WebDriverWait(driver, 20).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def click_and_wait_for_next_page(driver, element, css):
    # The next page may carry the same element as this one: wait for this
    # page to go away first, or the wait could succeed on the old page.
    element.click()
    # Mid-navigation chromedriver may answer "node does not belong to the
    # document" instead of "stale element": keep polling until it says stale.
    WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,)).until(
        EC.staleness_of(element)
    )
    return wait_for(driver, css)


def run_action(driver, base, order_id, action):
    driver.get(f"{base}/admin/orders/order/")
    wait_for(driver, f'input[name="_selected_action"][value="{order_id}"]').click()
    Select(driver.find_element(By.NAME, "action")).select_by_value(action)
    go = driver.find_element(By.CSS_SELECTOR, 'button[name="index"]')
    click_and_wait_for_next_page(driver, go, "ul.messagelist")


@pytest.mark.django_db(transaction=True)
def test_staff_ships_an_order_and_sees_it_in_the_reports(
    browser, live_server, settings
):
    # No storefront configured: the admin shows no "View site" link.
    settings.FRONTEND_URL = ""
    base = live_server.url
    staff = StaffFactory()
    customer = UserFactory()

    # Log in to the admin.
    browser.get(f"{base}/admin/login/?next=/admin/")
    wait_for(browser, "#id_username").send_keys(staff.email)
    browser.find_element(By.ID, "id_password").send_keys(DEFAULT_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, 'input[type="submit"]').click()
    wait_for(browser, "#shop-key-figures")
    # The figure cards are cards, not a bulleted list.
    for card in browser.find_elements(By.CSS_SELECTOR, "#shop-key-figures li"):
        assert card.value_of_css_property("list-style-type") == "none"
        assert card.value_of_css_property("display") == "block"
    # No storefront configured: no "View site" link.
    assert not browser.find_elements(By.LINK_TEXT, "VIEW SITE")
    assert not browser.find_elements(By.PARTIAL_LINK_TEXT, "View site")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))
    # The site root sends staff to the admin.
    browser.get(f"{base}/")
    wait_for(browser, "#shop-key-figures")

    # Create a product with initial stock.
    browser.get(f"{base}/admin/catalog/product/add/")
    wait_for(browser, "#id_name").send_keys("Browser Lamp")
    slug = browser.find_element(By.ID, "id_slug")
    slug.clear()
    slug.send_keys("browser-lamp")
    browser.find_element(By.ID, "id_sku").send_keys("BROWSER-1")
    browser.find_element(By.ID, "id_price").send_keys("19.95")
    browser.find_element(By.ID, "id_stock_change").send_keys("10")
    save = browser.find_element(By.NAME, "_save")
    click_and_wait_for_next_page(browser, save, "#changelist")
    product = Product.objects.get(sku="BROWSER-1")
    assert product.stock == 10

    # Place an order through the API, as a client application would.
    token = RefreshToken.for_user(customer).access_token
    response = requests.post(
        f"{base}/api/v1/orders/",
        json={"items": [{"product": product.pk, "quantity": 3}]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    order_id = response.json()["id"]
    assert Decimal(response.json()["total"]) == Decimal("59.85")

    # Ship it with the admin actions.
    run_action(browser, base, order_id, "mark_processing")
    run_action(browser, base, order_id, "mark_shipped")
    assert Order.objects.get(pk=order_id).status == Order.Status.SHIPPED

    # The Reports page shows the chart and the order's revenue.
    today = timezone.localdate().isoformat()
    browser.get(f"{base}/admin/reports/?date_from={today}&date_to={today}")
    chart = wait_for(browser, "svg#sales-chart")
    assert chart.find_elements(By.CSS_SELECTOR, "rect.bar")
    assert browser.find_element(By.ID, "total-revenue").text == "59.85"
    assert "BROWSER-1" in browser.find_element(By.ID, "top-products").text
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT))


@pytest.mark.django_db(transaction=True)
def test_staff_import_products_from_a_csv_with_a_preview(
    browser, live_server, tmp_path
):
    base = live_server.url
    staff = StaffFactory()
    Product.objects.create(
        sku="CSV-OLD", name="Old lamp", slug="old-lamp", price=Decimal("5.00")
    )
    csv_path = tmp_path / "products.csv"
    csv_path.write_text(
        "sku,name,price,stock,category_slug\n"
        "CSV-OLD,Old lamp,6.00,,\n"
        "CSV-NEW-1,Browser chair,49.99,3,furniture\n"
        "CSV-NEW-2,Browser stool,12.00,5,furniture\n",
        encoding="utf-8",
    )

    browser.get(f"{base}/admin/login/?next=/admin/catalog/product/")
    wait_for(browser, "#id_username").send_keys(staff.email)
    browser.find_element(By.ID, "id_password").send_keys(DEFAULT_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, 'input[type="submit"]').click()

    # The product list's Import CSV button leads to the upload form.
    link = wait_for(browser, "#import-csv-link")
    click_and_wait_for_next_page(browser, link, "#import-upload-form")
    browser.find_element(By.ID, "id_file").send_keys(str(csv_path))
    upload = browser.find_element(By.ID, "import-upload")
    click_and_wait_for_next_page(browser, upload, "#import-preview")

    # The preview: two to create, one to update, nothing written yet.
    assert browser.find_element(By.ID, "count-created").text == "2"
    assert browser.find_element(By.ID, "count-updated").text == "1"
    assert browser.find_element(By.ID, "count-errors").text == "0"
    assert not Product.objects.filter(sku__startswith="CSV-NEW").exists()
    assert browser.save_screenshot(str(ARTIFACTS / "import-preview.png"))

    # Apply: back on the product list, which shows the new products.
    apply = browser.find_element(By.ID, "import-apply")
    click_and_wait_for_next_page(browser, apply, "#changelist")
    assert (
        "2 created, 1 updated"
        in browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text
    )
    listing = browser.find_element(By.ID, "result_list").text
    assert "Browser chair" in listing and "Browser stool" in listing
    assert Product.objects.get(sku="CSV-NEW-1").stock == 3
    assert Product.objects.get(sku="CSV-OLD").price == Decimal("6.00")


@pytest.mark.django_db(transaction=True)
def test_staff_reset_a_forgotten_password_from_the_admin_login(browser, live_server):
    base = live_server.url
    staff = StaffFactory()
    new_password = "browser-reset-secret-5521"

    browser.get(f"{base}/admin/login/")
    forgotten = wait_for(browser, 'a[href="/admin/password_reset/"]')
    click_and_wait_for_next_page(browser, forgotten, "#id_email").send_keys(staff.email)
    send = browser.find_element(By.CSS_SELECTOR, 'input[type="submit"]')
    click_and_wait_for_next_page(browser, send, "#content")
    assert browser.current_url.endswith("/admin/password_reset/done/")

    # The mail leaves through the outbox (in process here: no broker).
    (message,) = [m for m in mail.outbox if m.to == [staff.email]]
    browser.get(mail_link(message))
    wait_for(browser, "#id_new_password1").send_keys(new_password)
    browser.find_element(By.ID, "id_new_password2").send_keys(new_password)
    save = browser.find_element(By.CSS_SELECTOR, 'input[type="submit"]')
    click_and_wait_for_next_page(browser, save, "#content")
    assert browser.current_url.endswith("/reset/done/")

    # The new password opens the admin.
    browser.get(f"{base}/admin/login/?next=/admin/")
    wait_for(browser, "#id_username").send_keys(staff.email)
    browser.find_element(By.ID, "id_password").send_keys(new_password)
    login = browser.find_element(By.CSS_SELECTOR, 'input[type="submit"]')
    click_and_wait_for_next_page(browser, login, "#shop-key-figures")
