"""The employer's page in a real browser (Debian's chromium, driven by Playwright).

The page loads with no console errors; a link-mode URL and an uploaded QR image each give the right
verdict; an invalid credential shows its reason; each run saves screenshots to tests/web/artifacts/.
Skips (with the reason) when chromium or Playwright is missing, unless OMC_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omc_vc.qr import encode_link, make_qr_image
from omc_vc.web.app import create_app

from .world import COLLEGE, LEARNER, WebWorld, make_world, share_presentation

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("OMC_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _require_browser() -> Any:
    problem = None
    sync_playwright: Any = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "Playwright for Python is not installed (pip install playwright)"
    if problem is None and not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        problem = f"chromium not found at {CHROMIUM} (apt-get install chromium)"
    if problem:
        if os.environ.get("OMC_REQUIRE_BROWSER") == "1":
            pytest.fail(f"OMC_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(problem)
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    _require_browser()
    import uvicorn

    port = _free_port()
    world = make_world(tmp_path_factory.mktemp("browser"), f"http://127.0.0.1:{port}")
    app = create_app(world.config())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the service did not start")
        time.sleep(0.05)
    try:
        yield world
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(served: WebWorld) -> Iterator[Any]:
    sync_playwright = _require_browser()
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


def watched_tab(browser: Any, **context_options: Any) -> Iterator[Any]:
    """A new tab in a context of its own (``context_options``: viewport, locale, ...) whose console errors and
    uncaught page errors are kept in ``tab.console_errors``; the context is closed afterwards."""
    context = browser.new_context(device_scale_factor=1, **context_options)
    tab = context.new_page()
    tab.console_errors = []
    tab.on("console", lambda msg: tab.console_errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: tab.console_errors.append(str(exc)))
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    yield from watched_tab(browser, viewport={"width": 390, "height": 844})  # a phone


def _verdict(page: Any) -> dict[str, str]:
    page.wait_for_selector("#verdict[data-status]", timeout=20_000)
    facts = {el.get_attribute("data-fact"): el.inner_text() for el in page.query_selector_all("#facts dd")}
    return {"status": page.get_attribute("#verdict", "data-status"), "headline": page.inner_text("#verdict-headline"),
            "reason": page.inner_text("#verdict-reason"), **facts}


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_page_loads_without_console_errors(page: Any, served: WebWorld) -> None:
    page.goto(served.base_url + "/")
    page.wait_for_load_state("networkidle")
    assert page.title() == "Check an Ontario Micro-Credential"
    assert page.is_visible("#upload-form") and page.is_visible("#paste-form")
    assert page.console_errors == []
    # keyboard: the first Tab reaches the skip link, and every control is reachable
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"


def test_link_mode_url_gives_the_omc_verdict(page: Any, served: WebWorld) -> None:
    vc, _ = served.credential("college")
    page.goto(encode_link(vc, served.base_url))
    shown = _verdict(page)
    _shot(page, "link-mode-valid-omc")
    assert shown["status"] == "valid-omc"
    assert not page.is_visible("#facts-note")
    assert shown["institution"] == COLLEGE
    assert shown["learner"] == LEARNER
    assert shown["instructionalHours"] == "30"
    assert shown["qualificationCategory"] == "Non-OQF Micro-credential"
    assert page.evaluate("document.activeElement.id") == "verdict-headline"  # focus moves to the verdict
    assert page.console_errors == []


def test_uploaded_qr_image_gives_the_omc_plus_verdict(page: Any, served: WebWorld, tmp_path: Path) -> None:
    vc, _ = served.credential("college", plus=True)
    image = tmp_path / "learner-qr.png"
    make_qr_image(encode_link(vc, served.base_url), image, kind="png")
    page.goto(served.base_url + "/")
    page.set_input_files("#file", str(image))
    page.click("#upload-form button[type=submit]")
    shown = _verdict(page)
    _shot(page, "upload-qr-valid-omc-plus")
    assert shown["status"] == "valid-omc-plus"
    assert "Welding Techniques Certificate" in page.inner_text("#targets")
    assert page.console_errors == []


def test_invalid_credential_shows_its_reason(page: Any, served: WebWorld) -> None:
    vc, _ = served.credential("college")
    forged = copy.deepcopy(vc)
    forged["credentialSubject"]["achievement"]["instructionalHours"] = 400
    page.goto(served.base_url + "/")
    page.fill("#paste", json.dumps(forged))
    page.click("#paste-form button[type=submit]")
    shown = _verdict(page)
    _shot(page, "pasted-invalid")
    assert shown["status"] == "invalid"
    assert "signature" in shown["reason"].lower()
    assert page.is_visible("#facts-note")  # the forged claims are labelled as not verified
    page.click("#checks-box summary")
    assert "FAILED" in page.inner_text("#checks")
    assert page.console_errors == []


def test_revoked_credential_through_a_link(page: Any, served: WebWorld) -> None:
    vc, index = served.credential("college")
    served.revoke("college", index)
    page.goto(encode_link(vc, served.base_url))
    shown = _verdict(page)
    assert shown["status"] == "invalid"
    assert "revoked" in shown["reason"].lower()


def test_short_mode_link_page(page: Any, served: WebWorld) -> None:
    import urllib.request

    from omc_vc.keys import KeyPair

    holder = KeyPair.generate("ed25519")
    vc, _ = served.credential("college", plus=True, holder=holder.controller)
    json_headers = {"Content-Type": "application/json"}
    ask = urllib.request.Request(served.base_url + "/shares/challenge", data=b"", headers=json_headers)
    with urllib.request.urlopen(ask, timeout=10) as response:
        offer = json.load(response)
    presentation = share_presentation(vc, holder, offer["challenge"], offer["domain"])
    request = urllib.request.Request(served.base_url + "/shares", data=json.dumps({"presentation": presentation})
                                     .encode(), headers=json_headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        share = json.load(response)
    page.goto(share["url"])
    shown = _verdict(page)
    _shot(page, "short-mode-valid-omc-plus")
    assert shown["status"] == "valid-omc-plus"
    assert page.console_errors == []


def test_presentation_of_two_omcs_shows_a_card_per_credential(page: Any, served: WebWorld) -> None:
    from datetime import timedelta

    from omc_vc._internal.timeutil import utcnow
    from omc_vc.keys import KeyPair
    from omc_vc.proofs.data_integrity import add_proof

    holder = KeyPair.generate("ed25519")
    first, _ = served.credential("college", holder=holder.controller)
    second, _ = served.credential("college", plus=True, holder=holder.controller)
    presentation = add_proof({"@context": ["https://www.w3.org/ns/credentials/v2"],
                              "type": ["VerifiablePresentation"], "holder": holder.controller,
                              "verifiableCredential": [first, second]},
                             holder, purpose="authentication", expires=utcnow() + timedelta(minutes=10))
    page.goto(served.base_url + "/")
    page.fill("#paste", json.dumps(presentation))
    page.click("#paste-form button[type=submit]")
    shown = _verdict(page)
    _shot(page, "presentation-two-omcs")
    assert shown["headline"] == "2 valid Ontario Micro-Credentials"
    cards = page.query_selector_all("#credentials-box .credential-card")
    assert [card.query_selector(".verdict").get_attribute("data-status") for card in cards] == \
        ["valid-omc", "valid-omc-plus"]
    assert "Credential 2 of 2" in cards[1].inner_text()
    assert page.is_visible("#presentation-box")
    assert "Signed by the learner who presents it (the holder)" in page.inner_text("#presentation-box")
    assert not page.is_visible("#facts-note")
    assert page.console_errors == []
