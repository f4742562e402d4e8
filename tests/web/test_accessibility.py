"""The employer's page is accessible to the AODA's standard (WCAG 2.0 AA) and reads like a public service.

axe-core (npm, pinned in tests/web/js) runs in headless Chromium on the front page and on every kind of result,
at a phone's size (390x844) and a desktop's (1280x900), and must find no violation of its wcag2a and wcag2aa
rules. On every result the verdict comes first on a phone, no identifier widens the page, and a screenshot of
each kind at both sizes is saved to tests/web/artifacts/ (a11y-KIND-phone.png, a11y-KIND-desktop.png). The
upload and the paste work from the keyboard alone, with a visible focus indicator on each control.

Skips (with the reason) when chromium, Playwright or axe-core is missing, unless OMC_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import copy
import json
import os
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from omc_vc._internal.timeutil import utcnow
from omc_vc.keys import KeyPair
from omc_vc.proofs.data_integrity import add_proof
from omc_vc.qr import encode_link, make_qr_image
from omc_vc.web.app import create_app

from .test_browser import ARGS, ARTIFACTS, CHROMIUM, _free_port, _require_browser, watched_tab
from .world import COLLEGE, WebWorld, make_world, share_presentation

AXE = Path(__file__).resolve().parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
#: WCAG 2.0 level A and AA (the AODA's Integrated Accessibility Standards, s. 14)
WCAG_TAGS = ["wcag2a", "wcag2aa"]


def _require_axe() -> str:
    if not AXE.is_file():
        problem = f"{AXE} is missing (run: npm ci --prefix tests/web/js)"
        if os.environ.get("OMC_REQUIRE_BROWSER") == "1":
            pytest.fail(f"OMC_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(problem)
    return AXE.read_text(encoding="utf-8")


@dataclass
class Served:
    world: WebWorld
    base_url: str


def _serve(folder: Path, *, plain: bool = False, demo: bool = False) -> Iterator[Served]:
    import uvicorn

    port = _free_port()
    world = make_world(folder, f"http://127.0.0.1:{port}")
    config = replace(world.config(), registry=None, anchors=None) if plain else world.config(demo=demo or None)
    server = uvicorn.Server(uvicorn.Config(create_app(config), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the service did not start")
        time.sleep(0.05)
    try:
        yield Served(world, world.base_url)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def axe_source() -> str:
    _require_browser()
    return _require_axe()


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory, axe_source: str) -> Iterator[dict[str, Served]]:
    """Three services: with the ministry's registry, plain (no registry configured), and in demo mode."""
    with_registry = _serve(tmp_path_factory.mktemp("registry"))
    plain = _serve(tmp_path_factory.mktemp("plain"), plain=True)
    demo = _serve(tmp_path_factory.mktemp("demo"), demo=True)
    out = {"registry": next(with_registry), "plain": next(plain), "demo": next(demo)}
    try:
        yield out
    finally:
        for started in (with_registry, plain, demo):
            started.close()


@pytest.fixture(scope="module")
def browser(services: dict[str, Served]) -> Iterator[Any]:
    sync_playwright = _require_browser()
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    yield from watched_tab(browser, viewport=PHONE)


# --- the kinds of result ------------------------------------------------------------------------------------

def _paste(page: Any, base_url: str, text: str) -> None:
    page.goto(base_url + "/")
    page.fill("#paste", text)
    page.click("#paste-form button[type=submit]")


def _holder_presentation(credentials: list[dict[str, Any]], holder: KeyPair) -> dict[str, Any]:
    return add_proof({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
                      "holder": holder.controller, "verifiableCredential": credentials},
                     holder, purpose="authentication", expires=utcnow() + timedelta(minutes=10))


def _post_json(url: str, body: Any = None) -> Any:
    data = b"" if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def _withdrawn_share(served: Served, language: str | None = None) -> str:
    holder = KeyPair.generate("ed25519")
    vc, _ = served.world.credential("college", holder=holder.controller, language=language)
    offer = _post_json(served.base_url + "/shares/challenge")
    share = _post_json(served.base_url + "/shares",
                       {"presentation": share_presentation(vc, holder, offer["challenge"], offer["domain"])})
    request = urllib.request.Request(f"{served.base_url}/shares/{share['id']}", method="DELETE",
                                     headers={"Authorization": f"Bearer {share['withdrawToken']}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204
    return str(share["url"])


def _open(kind: str, page: Any, services: dict[str, Served], language: str | None = None) -> str:
    """Bring the page to the result of ``kind``; return the verdict status the page must show. ``language``: the
    edition the credentials are issued in (``fr-CA``: the French one)."""
    served = services["demo" if kind == "demo-mode" else "plain" if kind == "plain-mode" else "registry"]
    world, base = served.world, served.base_url
    if kind == "valid-omc":
        vc, _ = world.credential("college", completed=date.today() - timedelta(days=12), result="Pass (87%)",
                                 language=language)
        page.goto(encode_link(vc, base))
        return "valid-omc"
    if kind == "valid-omc-plus":
        vc, _ = world.credential("college", plus=True, language=language)
        page.goto(encode_link(vc, base))
        return "valid-omc-plus"
    if kind == "valid-not-omc":
        vc, _ = world.credential("nowhere", language=language)  # well signed, by an issuer the registry does not list
        page.goto(encode_link(vc, base))
        return "valid-not-omc"
    if kind in ("plain-mode", "demo-mode"):
        vc, _ = world.credential("college", language=language)
        page.goto(encode_link(vc, base))
        return "valid-not-omc" if kind == "plain-mode" else "valid-omc"
    if kind == "revoked":
        vc, index = world.credential("college", language=language)
        world.revoke("college", index)
        page.goto(encode_link(vc, base))
        return "invalid"
    if kind == "suspended":
        vc, index = world.credential("college", suspendable=True, language=language)
        world.suspend("college", index)
        page.goto(encode_link(vc, base))
        return "invalid"
    if kind == "expired":
        vc, _ = world.credential("college", valid_until=utcnow() - timedelta(days=1), language=language)
        page.goto(encode_link(vc, base))
        return "invalid"
    if kind == "bad-signature":
        vc, _ = world.credential("college", language=language)
        forged = copy.deepcopy(vc)
        forged["credentialSubject"]["achievement"]["instructionalHours"] = 400
        _paste(page, base, json.dumps(forged))
        return "invalid"
    if kind == "share-withdrawn":
        page.goto(_withdrawn_share(served, language))
        return "share-unavailable"
    if kind == "unreadable-input":
        _paste(page, base, "Ada a terminé le cours de soudage la semaine dernière, voici son certificat" if language
               else "Ada finished the welding course last week, here is her certificate")
        return "unreadable"
    if kind == "presentation":
        holder = KeyPair.generate("ed25519")
        first, _ = world.credential("college", holder=holder.controller, language=language)
        second, _ = world.credential("college", plus=True, holder=holder.controller, language=language)
        third, _ = world.credential("nowhere", holder=holder.controller, language=language)
        _paste(page, base, json.dumps(_holder_presentation([first, second, third], holder)))
        return "valid-not-omc"
    raise AssertionError(kind)


KINDS = ["valid-omc", "valid-omc-plus", "valid-not-omc", "plain-mode", "revoked", "suspended", "expired",
         "bad-signature", "share-withdrawn", "unreadable-input", "presentation", "demo-mode"]


def _axe(page: Any, source: str) -> list[dict[str, Any]]:
    """axe-core's violations of the WCAG 2.0 A and AA rules on the page as it is now (evaluated through the
    DevTools protocol, which the page's Content-Security-Policy does not govern)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    result = page.evaluate("""async (tags) => {
        const out = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        return out.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                         nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
    }""", WCAG_TAGS)
    return list(result)


def _layout(page: Any) -> dict[str, Any]:
    return dict(page.evaluate("""() => {
        const verdict = document.getElementById('verdict').getBoundingClientRect();
        return {scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth,
                verdictTop: verdict.top + window.scrollY, verdictBottom: verdict.bottom + window.scrollY};
    }"""))


def _check_at(page: Any, source: str, kind: str, size: str) -> None:
    violations = _axe(page, source)
    page.screenshot(path=str(ARTIFACTS / f"a11y-{kind}-{size}.png"), full_page=True)
    assert violations == [], f"axe-core found WCAG 2.0 A/AA violations on {kind} ({size}):\n" + \
        json.dumps(violations, indent=1)


def test_front_page_has_no_wcag_violations_at_phone_and_desktop_sizes(page: Any, services: dict[str, Served],
                                                                       axe_source: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(services["registry"].base_url + "/")
    page.wait_for_load_state("networkidle")
    _check_at(page, axe_source, "front-page", "phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(DESKTOP)
    _check_at(page, axe_source, "front-page", "desktop")
    # a public service's footer, not a developer tool's
    footer = page.inner_text("footer")
    assert "About this service" in footer and "not stored" in footer and "omc-vc verifier" not in footer
    assert not page.query_selector("[data-demo]")  # no DEMO banner outside demo mode
    assert page.console_errors == []


def test_the_axe_harness_finds_a_real_violation(page: Any, services: dict[str, Served], axe_source: str) -> None:
    # the check above would pass on any page if axe-core never ran: an unlabelled field must be caught
    page.goto(services["registry"].base_url + "/")
    page.evaluate("document.querySelector('label[for=paste]').remove(); "
                  "document.getElementById('paste').removeAttribute('aria-describedby')")
    assert "label" in [v["id"] for v in _axe(page, axe_source)]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_result_is_accessible_and_shows_the_verdict_first_on_a_phone(
        kind: str, page: Any, services: dict[str, Served], axe_source: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    expected = _open(kind, page, services)
    page.wait_for_selector("#verdict[data-status]", timeout=20_000)
    assert page.get_attribute("#verdict", "data-status") == expected
    # phone: the verdict is the first thing under the title, and nothing (a DID, a URN) widens the page
    layout = _layout(page)
    assert layout["scrollWidth"] <= PHONE["width"], f"{kind}: the page is {layout['scrollWidth']} px wide"
    assert layout["verdictTop"] < 250 + (90 if kind == "demo-mode" else 0), layout
    assert layout["verdictBottom"] < PHONE["height"], layout
    # the script moves focus to the headline (for screen readers) but draws no ring around it
    assert page.evaluate("document.activeElement.id") == "verdict-headline"
    ring = page.evaluate("(() => { const s = getComputedStyle(document.activeElement); "
                         "return [s.boxShadow, s.outlineStyle, s.outlineWidth]; })()")
    assert ring[0] == "none" and (ring[1] == "none" or ring[2] == "0px"), ring
    _check_at(page, axe_source, kind, "phone")
    page.set_viewport_size(DESKTOP)
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    _check_at(page, axe_source, kind, "desktop")
    about = page.inner_text("#about")
    assert "Checked on" in about
    if kind == "plain-mode":
        assert "None configured: no OMC verdict was given" in about
    else:
        assert "Registry version" in about and "Registry published" in about
        assert "Ministry of Colleges and Universities" in about
    if kind == "demo-mode":
        assert "DEMO" in page.inner_text("[data-demo]")
    assert page.console_errors == []


def test_facts_read_as_words_dates_and_counts_for_ontario(page: Any, services: dict[str, Served]) -> None:
    world = services["registry"].world
    vc, _ = world.credential("college", completed=date(2026, 11, 20), result="Pass (87%)")
    page.goto(encode_link(vc, services["registry"].base_url))
    page.wait_for_selector("#verdict[data-status]", timeout=20_000)
    facts = {el.get_attribute("data-fact"): el.inner_text() for el in page.query_selector_all("#facts dd")}
    assert facts["institution"] == COLLEGE
    assert facts["credits"] == "3 credits"  # the document writes the unit "credit"
    assert facts["duration"] == "6 weeks"
    # a completion date is written as midnight UTC: it stays that day, not the evening before in Ontario
    assert facts["completed"] == "November 20, 2026"
    assert facts["result"] == "Pass (87%)"
    assert facts["description"].startswith("Safe practice in a welding shop")
    assert facts["issuerId"].startswith("did:key:")
    month_names = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                   "October", "November", "December")
    assert facts["issued"].split()[0] in month_names and "T" not in facts["issued"] and "-" not in facts["issued"]
    reason = page.inner_text("#verdict-reason")
    assert not any(f"-{m:02d}-" in reason for m in range(1, 13)), reason  # no ISO date in our sentence


# --- the keyboard -------------------------------------------------------------------------------------------

def _focus_ring(page: Any) -> str:
    """The focused element's indicator: its box-shadow or outline (none when it has neither)."""
    return str(page.evaluate("""() => {
        const s = getComputedStyle(document.activeElement);
        if (s.boxShadow && s.boxShadow !== 'none') { return s.boxShadow; }
        if (s.outlineStyle !== 'none' && s.outlineWidth !== '0px') { return s.outlineStyle + ' ' + s.outlineWidth; }
        return 'none';
    }"""))


def _tab_to(page: Any, wanted: Callable[[], bool], limit: int = 20) -> list[str]:
    """Press Tab until ``wanted()``; every control reached on the way must show a focus indicator."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
        assert _focus_ring(page) != "none", f"no visible focus indicator on {seen[-1]}"
        if wanted():
            return seen
    raise AssertionError(f"not reached with Tab: {seen}")


def test_upload_works_from_the_keyboard_alone(page: Any, services: dict[str, Served], tmp_path: Path) -> None:
    served = services["registry"]
    vc, _ = served.world.credential("college", plus=True)
    image = tmp_path / "learner-qr.png"
    make_qr_image(encode_link(vc, served.base_url), image, kind="png")
    page.goto(served.base_url + "/")
    page.wait_for_load_state("networkidle")
    _tab_to(page, lambda: page.evaluate("document.activeElement.id") == "file")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")  # Space on the focused file control opens the chooser
    chooser.value.set_files(str(image))
    _tab_to(page, lambda: page.evaluate("document.activeElement.textContent") == "Check file")
    page.keyboard.press("Enter")
    page.wait_for_selector("#verdict[data-status]", timeout=20_000)
    assert page.get_attribute("#verdict", "data-status") == "valid-omc-plus"
    page.screenshot(path=str(ARTIFACTS / "a11y-keyboard-upload-phone.png"), full_page=True)
    # and back to the forms with the keyboard: "Check another credential" puts the focus on the upload
    _tab_to(page, lambda: page.evaluate("document.activeElement.id") == "again", limit=40)
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "file"
    assert page.console_errors == []


def test_paste_works_from_the_keyboard_alone(page: Any, services: dict[str, Served]) -> None:
    served = services["registry"]
    vc, _ = served.world.credential("college")
    page.goto(served.base_url + "/")
    page.wait_for_load_state("networkidle")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"  # the first stop skips to the content
    _tab_to(page, lambda: page.evaluate("document.activeElement.id") == "paste")
    page.keyboard.insert_text(json.dumps(vc))
    _tab_to(page, lambda: page.evaluate("document.activeElement.textContent") == "Check")
    page.keyboard.press("Space")
    page.wait_for_selector("#verdict[data-status]", timeout=20_000)
    assert page.get_attribute("#verdict", "data-status") == "valid-omc"
    # the list of every check opens with the keyboard too
    _tab_to(page, lambda: page.evaluate("document.activeElement.tagName") == "SUMMARY", limit=40)
    page.keyboard.press("Enter")
    assert page.evaluate("document.getElementById('checks-box').open") is True
    assert page.console_errors == []
