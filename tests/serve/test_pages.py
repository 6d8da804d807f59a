"""The pages in a real headless Chromium (Debian's chromium and chromedriver, driven through Selenium)."""

from __future__ import annotations

import os
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from massgen_discovery import Catalog
from massgen_discovery.serve import create_app
from tests.support import load_fixture
from tests.support.serving import as_json, listing, served

HF = load_fixture("huggingface/router_v1_models.json")
HOSTILE = {
    "object": "list",
    "data": [
        {"id": "<script>window.__pwned=1</script>", "object": "model", "owned_by": "x"},
        {"id": '"><img src=x onerror="window.__pwned=2">', "object": "model", "owned_by": "x"},
        {"id": "<b>bold</b>&amp;", "object": "model", "owned_by": "x"},
    ],
}


def _binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/lib/chromium")
    assert found, f"{name} is not installed: scripts/test-venv installs Debian's chromium and chromium-driver"
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium never fetches a driver: it is given one
    options = webdriver.ChromeOptions()
    options.binary_location = _binary("chromium")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=_binary("chromedriver")), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server over a catalog with HuggingFace's router and a hostile OpenAI-compatible server."""
    saved = dict(os.environ)
    os.environ["MASSGEN_DISCOVERY_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    with (
        listing({"/v1/models": lambda r: as_json(HF)}) as hf,
        listing({"/v1/models": lambda r: as_json(HOSTILE)}) as evil,
    ):
        os.environ["MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL"] = hf.url_for("/v1")
        catalog = Catalog(endpoints={"evil": evil.url_for("/v1")})
        catalog.refresh(["huggingface", "evil"])
        try:
            with served(create_app(catalog)) as url:
                yield url
        finally:
            catalog.close()
            os.environ.clear()
            os.environ.update(saved)


def follow(driver: Any, element: Any) -> None:
    """Click a link or submit button and wait until the browser is on the page it leads to."""
    from selenium.webdriver.support.ui import WebDriverWait

    before = driver.current_url
    element.click()
    WebDriverWait(driver, 20).until(
        lambda d: d.current_url != before and d.execute_script("return document.readyState") == "complete"
    )


def rows(driver: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    return [tr.get_attribute("data-model") for tr in driver.find_elements(By.CSS_SELECTOR, "tr[data-model]")]


def total(driver: Any) -> int:
    from selenium.webdriver.common.by import By

    return int(driver.find_element(By.CSS_SELECTOR, "[data-total]").get_attribute("data-total"))


FILTERS = [
    "provider=groq&tools=true&min_context=128000",
    "tools=true&min_context=128000&sort=price",
    "provider=huggingface&sort=context",
    "q=llama&q=70b&sort=newest",
    "mode=all&vision=true&max_input_cost=1",
]


@pytest.mark.parametrize("query", FILTERS)
def test_a_filter_url_shows_exactly_the_apis_rows(browser: Any, site: str, query: str) -> None:
    browser.get(f"{site}/?{query}")
    api = httpx.get(f"{site}/v1/models?{query}&limit=100").json()
    assert rows(browser) == [m["id"] for m in api["data"]]
    assert total(browser) == api["total"]


def test_the_form_puts_the_filter_in_the_url(browser: Any, site: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(site + "/")
    browser.find_element(By.CSS_SELECTOR, "input[name=tools]").click()
    field = browser.find_element(By.CSS_SELECTOR, "input[name=min_context]")
    field.clear()
    field.send_keys("128k")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]"))
    query = parse_qs(urlsplit(browser.current_url).query)
    assert query.get("tools") == ["true"] and query.get("min_context") == ["128k"], browser.current_url
    api = httpx.get(f"{site}/v1/models", params={"tools": "true", "min_context": "128k", "limit": 100}).json()
    assert rows(browser) == [m["id"] for m in api["data"]]


def test_sorting_by_a_column_and_paging(browser: Any, site: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(site + "/?tools=true")
    follow(browser, browser.find_element(By.LINK_TEXT, "context"))
    assert parse_qs(urlsplit(browser.current_url).query)["sort"] == ["context"]
    api = httpx.get(f"{site}/v1/models", params={"tools": "true", "sort": "context", "limit": 200}).json()
    assert api["total"] > 100
    assert rows(browser) == [m["id"] for m in api["data"][:100]]
    follow(browser, browser.find_element(By.CSS_SELECTOR, "a[rel=next]"))
    assert parse_qs(urlsplit(browser.current_url).query)["offset"] == ["100"]
    assert rows(browser) == [m["id"] for m in api["data"][100:200]]


def test_a_model_page_has_every_source_and_a_calculator(browser: Any, site: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(site + "/models/gemini/gemini-2.5-pro")
    record = httpx.get(site + "/v1/models/gemini/gemini-2.5-pro").json()
    for field, source in record["provenance"].items():
        if field in record and not field.startswith("supports_") and record[field] is not None:
            cell = browser.find_element(By.CSS_SELECTOR, f'#fields tr[data-field="{field}"] td:last-child')
            assert cell.text == source, field
    prices = {tr.get_attribute("data-price") for tr in browser.find_elements(By.CSS_SELECTOR, "#prices tr[data-price]")}
    assert set(record["prices"]) <= prices  # every tier and service tier shown
    browser.find_element(By.CSS_SELECTOR, "#calculator input[name=input]").send_keys("300000")
    browser.find_element(By.CSS_SELECTOR, "#calculator input[name=output]").send_keys("2000")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "#calculator button"))
    expected = httpx.get(
        site + "/v1/cost", params={"model": "gemini/gemini-2.5-pro", "input": 300000, "output": 2000}
    ).json()
    assert browser.find_element(By.ID, "cost-total").text == f"${expected['total']:.6f}"


def test_compare_puts_models_side_by_side(browser: Any, site: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(site + "/compare?models=gpt-4o,anthropic/claude-sonnet-4-5,no/such-model")
    heads = [th.get_attribute("data-model") for th in browser.find_elements(By.CSS_SELECTOR, "#compare th[data-model]")]
    assert heads == ["openai/gpt-4o", "anthropic/claude-sonnet-4-5", "no/such-model"]
    row = browser.find_element(By.CSS_SELECTOR, '#compare tr[data-field="max_input_tokens"]')
    assert "128k" in row.text and "200k" in row.text


def test_upstream_markup_is_inert_in_every_page_and_the_feed(browser: Any, site: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(site + "/?provider=evil&mode=all")
    shown = rows(browser)
    assert "evil/<script>window.__pwned=1</script>" in shown
    assert browser.execute_script("return window.__pwned === undefined")
    assert not browser.find_elements(By.CSS_SELECTOR, "#models img, #models b")
    assert "<script>window.__pwned=1</script>" in browser.find_element(By.ID, "models").text
    for model in shown:
        browser.get(f"{site}/models/{httpx.URL(path=model).raw_path.decode()}")
        assert browser.execute_script("return window.__pwned === undefined")
        assert model in browser.find_element(By.TAG_NAME, "h1").text
    browser.get(site + "/compare?models=" + ",".join(shown).replace("&", "%26"))
    assert browser.execute_script("return window.__pwned === undefined")
    feed = httpx.get(site + "/changes.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)  # well-formed whatever the ids hold
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"


def test_no_external_asset_and_readable_at_375_and_1280(browser: Any, site: str, tmp_path: Path) -> None:
    for width in (375, 1280):
        browser.set_window_size(width, 900)
        for path in (
            "/?tools=true&min_context=128000",
            "/models/huggingface/moonshotai/Kimi-K3",
            "/compare?models=gpt-4o,gemini/gemini-2.5-pro",
        ):
            browser.get(site + path)
            inner = browser.execute_script("return window.innerWidth")
            scroll = browser.execute_script("return document.documentElement.scrollWidth")
            assert scroll <= inner, f"{path} at {width}px overflows ({scroll} > {inner})"
            resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
            assert all(r.startswith(site) for r in resources), resources
            browser.save_screenshot(str(tmp_path / f"{width}-{path.strip('/').replace('/', '_')[:40] or 'index'}.png"))
    browser.set_window_size(1280, 900)
    html = httpx.get(site + "/").text
    assert "http://" not in html.replace(site, "") and "https://" not in html
