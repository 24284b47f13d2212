"""Drive the admin in headless Chromium: product, order, shipping, reports.

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
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from shop.catalog.models import Product
from shop.orders.models import Order
from shop.users.tests.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory

CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(settings.BASE_DIR) / "artifacts" / "browser"
SCREENSHOT = ARTIFACTS / "reports.png"

webdriver = pytest.importorskip("selenium.webdriver")
requests = pytest.importorskip("requests")

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
    WebDriverWait(driver, 20).until(EC.staleness_of(element))
    return wait_for(driver, css)


def run_action(driver, base, order_id, action):
    driver.get(f"{base}/admin/orders/order/")
    wait_for(driver, f'input[name="_selected_action"][value="{order_id}"]').click()
    Select(driver.find_element(By.NAME, "action")).select_by_value(action)
    go = driver.find_element(By.CSS_SELECTOR, 'button[name="index"]')
    click_and_wait_for_next_page(driver, go, "ul.messagelist")


@pytest.mark.django_db(transaction=True)
def test_staff_ships_an_order_and_sees_it_in_the_reports(browser, live_server):
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
