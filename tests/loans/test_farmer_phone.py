"""The farmer's pages in a real browser: Debian's Chromium driven by Playwright at a phone's size, against
the app served on loopback. The farmer logs in with their phone number and password, reads their loan in
Chinese without scrolling sideways, opens its schedule and contracts, and cannot open a neighbour's loan."""
import threading
from datetime import date

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from finplat import cob
from tests.loans.conftest import API, application, file, land_right

CHROMIUM = "/usr/bin/chromium"  # Debian's package; scripts/test installs it
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def live_server(app, db):
    """The app on a loopback port, one request at a time (the test's transaction is shared with it)."""
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def phone():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = chromium.new_context(viewport=PHONE, device_scale_factor=3, is_mobile=True, has_touch=True,
                                       locale="zh-CN")
        yield context.new_page()
        context.close()
        chromium.close()


def test_a_farmer_reads_their_loan_on_a_phone(client, db, people, products, village, valued, active, make_user,
                                              live_server, phone):  # the browser last: pyHanko signs outside its loop
    from tests.conftest import PASSWORD
    theirs = land_right(db, village["neighbour"], village["collective"], cert="370112-LM-2")
    neighbours = file(client, people, application(products, village["neighbour"], theirs, amount="10000.00"))
    cob.run_to(date(2026, 12, 24))  # the first instalment, due 12-23, was missed
    farmer = make_user("farmer", username="13700000001", party_id=village["household"].id)

    phone.goto(f"{live_server}/login")
    phone.get_by_label("用户名").fill(farmer.username)
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_load_state()
    phone.goto(f"{live_server}/loans/mine")
    card = phone.locator(f"#loan-{active['id']}")
    text = card.inner_text()
    assert "120,000.00 元" in text and "2027-01-23 应还 10,190.60 元" in text
    assert "10,192.09 元，已逾期 1 天" in text and "关注" in text  # 10,190.60 + 1.49 of penalty; special mention
    assert phone.locator(".loan-card").count() == 1  # the neighbour's application is not theirs
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"
    assert card.bounding_box()["width"] <= PHONE["width"]

    card.get_by_role("link", name="还款计划和合同").click()
    phone.wait_for_load_state()
    assert phone.locator("#schedule tbody tr").count() == 12
    assert phone.locator("#contracts a", has_text="PDF").count() == 3  # loan, mortgage, schedule annex
    assert phone.locator("#payoff form").count() == 0  # no bank actions for a farmer
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    assert phone.goto(f"{live_server}/loans/{neighbours['id']}").status == 404
    assert client.get(f"{API}/loans/{neighbours['id']}").status_code == 401  # and nothing without a login
