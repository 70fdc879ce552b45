"""The pages in a real headless browser (Debian's Chromium) against a live server."""

import os

import openpyxl
import pytest
from playwright.sync_api import expect, sync_playwright

from fangkong.conftest import PASSWORD, fictional_id
from fangkong.people.models import Person

# Playwright's sync API runs an event loop in this thread; the ORM calls of the fixtures
# and checks here are still plain synchronous code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def browser_page():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, accept_downloads=True)
        context.set_default_timeout(15000)
        yield context.new_page()
        context.close()
        browser.close()


def log_in(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    expect(page.locator("h1")).to_have_text("辖区概况")


def test_find_a_person_by_pinyin_initials(transactional_db, live_server, triad, browser_page):
    page = browser_page
    log_in(page, live_server.url, triad.above.username)
    page.click("text=☰ 菜单")
    page.click("nav >> text=人员")
    results = page.locator("#results")
    expect(results).to_contain_text("李四")
    page.fill("input[name=q]", "zsf")
    expect(results).not_to_contain_text("李四")
    expect(results).to_contain_text("张三丰")
    assert "q=zsf" in page.url
    page.click("#results >> text=张三丰")
    expect(page.locator("h1")).to_contain_text("张三丰")
    expect(page.locator("body")).to_contain_text(triad.east_person.id_number)


def test_import_a_ledger_and_download_its_rejected_rows(transactional_db, live_server, triad, browser_page, tmp_path,
                                                        settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    good = fictional_id(seq=401)
    bad = fictional_id(seq=402)
    bad = bad[:-1] + ("1" if bad[-1] != "1" else "2")
    ledger = tmp_path / "东门台账.csv"
    ledger.write_text(
        "姓名,身份证号,联系电话,所属网格\n"
        f"王五,{good},13700001111,{triad.county.east_grid.code}\n"
        f"赵六,{bad},13700002222,{triad.county.east_grid.code}\n",
        encoding="utf-8-sig",
    )
    page = browser_page
    log_in(page, live_server.url, triad.inside.username)
    page.goto(f"{live_server.url}/ledger/")
    page.set_input_files("input[name=file]", str(ledger))
    page.select_option("select[name=unit]", label="　东门一组（430626100201-01）")
    page.click("form >> button[type=submit].primary")

    expect(page.locator("h1")).to_have_text("导入结果")
    expect(page.locator(".stats")).to_contain_text("新增")
    with page.expect_download() as download_info:
        page.click("#error-file")
    saved = tmp_path / "errors.xlsx"
    download_info.value.save_as(saved)

    rows = list(openpyxl.load_workbook(saved).active.iter_rows(values_only=True))
    assert rows[1][0] == "赵六" and "校验位" in rows[1][-1]
    assert Person.objects.filter(name="王五", unit=triad.county.east_grid).exists()
    assert not Person.objects.filter(name="赵六").exists()
