"""The app in a real headless Chromium: `streamlit run app.py`, driven with Playwright.

Walks through what a planner does (map, switch indicator, open a quarter profile, compare
planning areas, download the XLSX), saves a screenshot of every page to
``test-artifacts/screenshots/`` and the measured times to ``test-artifacts/timings.json``.
Times are printed and recorded, never asserted (STYLE.md: no wall-clock limits in tests).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
SHOTS = ARTIFACTS / "screenshots"
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
SERVER_UP: dict[str, float] = {}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed (/usr/bin/chromium absent); "
        "install it with `apt-get install chromium` to run the browser test",
    ),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run app.py` on a free local port; always terminated."""
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("SQE_STUDY", None)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", "app.py",
                "--server.headless", "true", "--server.port", str(port),
                "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
            ],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        try:
            deadline = time.monotonic() + 90
            while not _healthy(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not start:\n{log.read_text(errors='replace')}")
                time.sleep(0.25)
            SERVER_UP["server_start_s"] = time.perf_counter() - started
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


@pytest.fixture(scope="module")
def page(server: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(
                viewport={"width": 1400, "height": 1000}, accept_downloads=True, locale="de-DE"
            )
            yield context.new_page()
        finally:
            browser.close()


def _shot(page, name: str, height: int | None = None) -> Path:
    """Screenshot; ``height`` enlarges the window first (Streamlit scrolls inside the page,
    so a "full page" screenshot shows only the window)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    if height:
        page.set_viewport_size({"width": 1400, "height": height})
        page.wait_for_timeout(1500)
    page.screenshot(path=str(path), full_page=True)
    if height:
        page.set_viewport_size({"width": 1400, "height": 1000})
    return path


def _wait_map(page, legend_text: str, timeout_ms: int = 90_000):
    """Wait until the map iframe shows the quarters and a legend containing the text."""
    frame = page.frame_locator(MAP_FRAME).first
    frame.locator(".sqe-legend", has_text=legend_text).wait_for(timeout=timeout_ms)
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=timeout_ms)
    return frame


def _pick(page, label: str, option: str) -> float:
    """Choose an option of a Streamlit selectbox by its label; returns the time of the
    click on the option (when the planner's choice is made)."""
    box = page.locator('[data-testid="stSelectbox"]', has_text=label).first
    box.click()
    page.keyboard.type(option)
    choice = page.locator('[role="option"]', has_text=option).first
    choice.wait_for()
    chosen = time.perf_counter()
    choice.click()
    return chosen


def _idle(page, timeout_ms: int = 120_000) -> None:
    """Wait until the script run of the page has finished (no run and no rerun pending).

    A click while Streamlit is still rerunning can be dropped by the rerun; waiting first
    makes each step of the walk-through start from a settled page."""
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app !== null && app.dataset.testScriptState === "notRunning";
        }""",
        timeout=timeout_ms,
    )


def _click_until(page, button: str, text: str, name: str, timeout_ms: int = 120_000) -> None:
    """Click a button and wait for ``text``; click once more if the first click was lost
    (the app is idle again and the text did not appear). On failure the screenshot and the
    page's text are left in test-artifacts/ for the CI log reader."""
    for attempt in range(2):
        _idle(page)
        page.get_by_role("button", name=button).click()
        try:
            page.get_by_text(text).first.wait_for(timeout=timeout_ms)
            return
        except Exception:
            if attempt == 1:
                _shot(page, f"failed_{name}", height=2600)
                body = page.locator("body").inner_text()
                (ARTIFACTS / f"failed_{name}.txt").write_text(body)
                print(f"\npage text when {text!r} did not appear:\n{body[:4000]}")
                raise


def _nav(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()


def test_planner_walkthrough(server: str, page, tmp_path: Path):
    timings: dict[str, float] = dict(SERVER_UP)

    # 1. Karte: first complete render (quarters and legend drawn) after the server is up;
    # the first session also loads the study and computes every indicator
    start = time.perf_counter()
    page.goto(server + "/")
    page.locator("h2", has_text="Karte").wait_for(timeout=90_000)
    timings["map_page_header_s"] = time.perf_counter() - start
    frame = _wait_map(page, "Anteil Hochbetagte 80+")
    timings["map_first_render_s"] = time.perf_counter() - start
    assert frame.locator("path.leaflet-interactive").count() >= 27
    assert page.locator("h2", has_text="Karte").count() == 1
    assert page.get_by_text("Demo: teils synthetische Daten").first.is_visible()
    legend = frame.locator(".sqe-legend").inner_text()
    assert "%" in legend and "dunkler = mehr Handlungsbedarf" in legend
    page.wait_for_timeout(500)
    _shot(page, "1_karte")

    # 2. switch the indicator, then the year; "_s" includes opening the box and typing,
    # "_after_select_s" starts at the click on the option
    start = time.perf_counter()
    chosen = _pick(page, "Indikator", "Altenquotient")
    _wait_map(page, "Altenquotient")
    timings["indicator_switch_s"] = time.perf_counter() - start
    timings["indicator_switch_after_select_s"] = time.perf_counter() - chosen
    page.wait_for_url("**indicator=old_age_dependency**", timeout=30_000)
    page.wait_for_timeout(500)
    _shot(page, "2_karte_altenquotient")
    start = time.perf_counter()
    chosen = _pick(page, "Jahr", "2016")
    _wait_map(page, "Altenquotient (2016)")
    timings["year_switch_s"] = time.perf_counter() - start
    timings["year_switch_after_select_s"] = time.perf_counter() - chosen
    page.wait_for_url("**year=2016**", timeout=30_000)
    page.wait_for_timeout(300)

    # 3. open a quarter profile by clicking a quarter on the map
    start = time.perf_counter()
    frame = page.frame_locator(MAP_FRAME).first
    frame.locator("path.leaflet-interactive").nth(12).click(force=True)
    try:
        page.locator("h2", has_text="Quartiersprofil:").wait_for(timeout=30_000)
        timings["profile_open_via_map_click_s"] = time.perf_counter() - start
    except Exception:  # a click that hits no quarter: use the picker and the button
        page.get_by_role("button", name="Profil öffnen").click()
        page.locator("h2", has_text="Quartiersprofil:").wait_for(timeout=60_000)
        timings["profile_open_via_button_s"] = time.perf_counter() - start
    page.locator('[data-testid="stMetric"]').first.wait_for()
    page.wait_for_url("**page=profil**", timeout=30_000)
    # the residents' locations of the quarter coloured by the walk to the nearest food store
    frame = _wait_map(page, "Lebensmittel: Fußweg zur nächsten Einrichtung (2016)")
    legend = frame.locator(".sqe-legend").inner_text()
    assert "nicht erreichbar" in legend and "Einwohner je Wohnort in Klassen" in legend
    dots = frame.locator('path.leaflet-interactive[stroke="#333333"]')  # coloured origins
    assert dots.count() > 20
    page.locator(MAP_FRAME).first.scroll_into_view_if_needed()
    tips = []
    for n in (5, 15, 25):
        dots.nth(n).hover(force=True)
        tip = frame.locator(".leaflet-tooltip").last
        tip.wait_for(timeout=10_000)
        tips.append(tip.inner_text())
    residents = [re.search(r"Einwohner 65\+\s*(.+)", t) for t in tips if "Einwohner 65+" in t]
    # residents per location only as classes (or "0", or "." where the quarter is withheld)
    allowed = re.compile(r"0|\.|unter 10|\d+ bis unter \d+|100 und mehr")
    assert residents and all(m and allowed.fullmatch(m.group(1).strip()) for m in residents)
    assert any(re.search(r"\d+ m \(\d+ min\)", t) for t in tips), tips
    page.locator(MAP_FRAME).first.screenshot(path=str(SHOTS / "3b_wohnorte_fussweg.png"))
    page.wait_for_timeout(500)
    _shot(page, "3_quartiersprofil", height=2400)

    # 3b. a shared link: map of an indicator with withheld values, services switched on
    page.goto(server + "/?indicator=coverage_meeting_place_oldest_old&year=2023&k=4")
    frame = _wait_map(page, "Begegnungsort")
    assert "zurückgehalten" in frame.locator(".sqe-legend").inner_text()
    assert frame.locator('path[fill="url(#sqe-hatch)"]').count() >= 1
    assert frame.locator(".sqe-legend-class").count() == 4
    frame.locator(".leaflet-control-layers").hover()
    frame.locator("label", has_text="Einrichtungen: Begegnungsort").locator("input").check()
    frame.locator("path.leaflet-interactive").nth(40).wait_for(timeout=10_000)
    page.wait_for_timeout(800)
    _shot(page, "2b_karte_zurueckgehalten_einrichtungen")

    # 4. compare the planning areas
    start = time.perf_counter()
    _nav(page, "Planungsräume vergleichen")
    page.locator("h2", has_text="Planungsräume vergleichen").wait_for(timeout=60_000)
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
    timings["compare_open_s"] = time.perf_counter() - start
    page.wait_for_timeout(1000)
    _shot(page, "4_vergleich", height=1500)
    page.get_by_role("tab", name="Balkendiagramme").click()
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    _shot(page, "5_vergleich_diagramme", height=2000)

    # 5. download the XLSX
    _nav(page, "Export")
    page.locator("h2", has_text="Export").wait_for(timeout=60_000)
    page.get_by_text("Excel (XLSX: alle Ebenen, Definitionen, Metadaten)").click()
    start = time.perf_counter()
    page.get_by_role("button", name="Datei erstellen").click()
    download_button = page.get_by_role("button", name="Herunterladen")
    download_button.wait_for(timeout=60_000)
    timings["xlsx_build_s"] = time.perf_counter() - start
    with page.expect_download(timeout=60_000) as info:
        download_button.click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    book = openpyxl.load_workbook(target, read_only=True)
    assert {"Quartiere", "Planungsräume", "Stadt", "Indikatoren", "Metadaten"} <= set(
        book.sheetnames
    )
    assert book["Quartiere"].max_row > 27
    _shot(page, "6_export")

    # 6. data & methods
    _nav(page, "Daten & Methodik")
    page.locator("h2", has_text="Daten & Methodik").wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    _shot(page, "7_daten", height=2600)

    # 7. the English interface
    page.get_by_text("English", exact=True).click()
    page.locator("h2", has_text="Data & methods").wait_for(timeout=60_000)
    page.wait_for_url("**lang=en**", timeout=30_000)
    _nav(page, "Map")
    _wait_map(page, "darker = more need")
    page.wait_for_timeout(800)
    _shot(page, "8_map_english")

    timings = {k: round(v, 2) for k, v in timings.items()}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    print("\nbrowser timings (s):", json.dumps(timings))


def test_scenario_walkthrough(server: str, page):
    """Issue 10: place a facility by clicking on the map, compute the scenario, run a
    location search and show the catchment of the clicked point."""
    page.goto(server + "/szenarien")
    page.locator("h2", has_text="Szenarien").wait_for(timeout=90_000)
    page.get_by_text("auf der Karte zusammenstellen").click()
    page.get_by_text("Noch kein Punkt geklickt.").wait_for(timeout=60_000)
    frame = page.frame_locator(MAP_FRAME).first
    frame.locator(".leaflet-container").wait_for(timeout=60_000)
    page.locator(MAP_FRAME).first.scroll_into_view_if_needed()
    box = page.locator(MAP_FRAME).first.bounding_box()
    assert box is not None
    # a click somewhat off the centre of the city (no marker there)
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.55)
    page.get_by_text("Geklickter Punkt:").wait_for(timeout=60_000)
    page.get_by_role("button", name="Einrichtung am geklickten Punkt hinzufügen").click()
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
    _click_until(page, "Szenario berechnen", "Neu berechnet:", "szenario")
    difference = page.frame_locator(MAP_FRAME).nth(1)
    difference.locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
    page.wait_for_timeout(800)
    _shot(page, "6_szenario", height=2600)

    _idle(page)
    page.get_by_text("Beste neue Standorte").click()
    page.get_by_role("button", name="Standorte suchen").wait_for(timeout=60_000)
    _click_until(page, "Standorte suchen", "Bisher erreicht:", "standorte")
    _idle(page)
    page.get_by_text("Fußwege-Einzugsbereich des geklickten Punkts").click()
    _idle(page)
    page.get_by_role("button", name="Einzugsbereich des geklickten Punkts zeigen").click()
    # the fourth map: builder, difference, proposed sites, catchment bands
    bands = page.frame_locator(MAP_FRAME).nth(3)
    bands.locator("path.leaflet-interactive").first.wait_for(timeout=120_000)
    page.wait_for_timeout(800)
    _shot(page, "7_standorte_einzugsbereich", height=3600)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
