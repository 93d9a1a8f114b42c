"""The Streamlit app with ``streamlit.testing.v1.AppTest``, and the upload of own studies.

Every page renders; widgets have defaults; switching indicator, year and language changes
what is shown and the URL; downloads produce files that open; uploads of a zipped
Shapefile, a GeoJSON without CRS, a table with a misspelled quarter name and a file over
the size limit give the expected result or message.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

import sqe_geo
from sqe_geo._errors import InputDataError, SqeGeoError
from sqe_geo.io.upload import UploadMapping, UploadWorkspace, guess_age_range

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
GEODATA = ROOT / "geodata"
PAGES = ["karte", "vergleich", "szenarien", "profil", "export", "daten"]
TIMEOUT = 60


@pytest.fixture(autouse=True)
def _demo_study(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SQE_STUDY", raising=False)
    monkeypatch.delenv("SQE_UPLOAD_MAX_MB", raising=False)


@pytest.fixture(scope="module", autouse=True)
def _warm_cache() -> None:
    """Compute the demo once (the app's st.cache_resource lives for the process)."""
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception


@pytest.fixture
def media(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Bytes of every file the app hands to st.download_button, by media id."""
    files: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def capture(self, path_or_data, mimetype, kind, filename=None):
        file_id = original(self, path_or_data, mimetype, kind, filename)
        if isinstance(path_or_data, bytes):
            files[file_id] = path_or_data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", capture)
    return files


def open_app(page: str | None = None, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(f"sqe_geo/ui/pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def downloaded(at: AppTest, key: str, media: dict[str, bytes]) -> bytes:
    button = next(b for b in at.get("download_button") if b.proto.id.endswith(f"-{key}"))
    file_id = re.search(r"/([0-9a-f]+)\.\w+$", button.proto.url).group(1)
    return media[file_id]


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [h.value for h in at.header] + [h.value for h in at.subheader]
    return "\n".join(parts)


# --- pages -----------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_with_demo_labels(page: str):
    at = open_app(page)
    assert not at.error, [e.value for e in at.error]
    shown = texts(at)
    # issue 14: the demo shows the real Stadtteile, so the "schematic" badge is gone
    assert "Demo: teils synthetische Daten" in shown and "schematische Grenzen" not in shown
    assert at.query_params["page"] == page
    assert at.radio(key="w_lang").value == "de"


def test_map_defaults_and_url():
    at = open_app()
    assert at.header[0].value == "Karte"
    assert at.selectbox(key="w_indicator").value == "share_oldest_old"
    assert at.selectbox(key="w_year").value == 2023
    assert at.selectbox(key="w_scheme").value == "quantiles"
    assert at.slider(key="w_k").value == 5
    assert at.selectbox(key="w_quarter").value == "01"
    params = dict(at.query_params.items())
    assert params["indicator"] == "share_oldest_old" and params["year"] == "2023"
    assert params["lang"] == "de" and params["page"] == "karte"


def test_switching_indicator_year_and_language():
    at = open_app()
    assert "Einwohner 80+ / Einwohner insgesamt" in texts(at)
    at.selectbox(key="w_indicator").set_value("old_age_dependency").run()
    assert "je 100 Einwohner im Alter 20–64" in texts(at)
    assert at.query_params["indicator"] == "old_age_dependency"
    at.selectbox(key="w_year").set_value(2016).run()
    assert at.query_params["year"] == "2016"
    at.radio(key="w_lang").set_value("en").run()
    assert not at.exception
    assert at.header[0].value == "Map"
    assert at.selectbox(key="w_indicator").label == "Indicator"
    assert "Demo: partly synthetic data" in texts(at)
    assert at.query_params["lang"] == "en"
    # the selection survives a page change
    at.switch_page("sqe_geo/ui/pages/profil.py").run()
    assert at.selectbox(key="w_year").value == 2016
    assert at.header[0].value.startswith("Quarter profile")


def test_deep_link_opens_profile():
    at = open_app(query={"page": "profil", "quarter": "07", "year": "2016"})
    quarters = sqe_geo.load_study(sqe_geo.DEMO_STUDY).quarters.set_index("quarter_id")
    assert at.header[0].value == f"Quartiersprofil: {quarters.loc['07', 'name']}"
    assert at.selectbox(key="w_year").value == 2016


def test_invalid_url_values_fall_back_to_defaults():
    at = open_app(query={"indicator": "x", "year": "1800", "k": "99", "lang": "xx", "quarter": "z"})
    assert at.selectbox(key="w_indicator").value == "share_oldest_old"
    assert at.selectbox(key="w_year").value == 2023
    assert at.slider(key="w_k").value == 7
    assert at.radio(key="w_lang").value == "de"


def test_profile_page_and_report_download(media: dict[str, bytes]):
    at = open_app("profil")
    at.selectbox(key="w_quarter").set_value("03").run()
    assert at.header[0].value == "Quartiersprofil: Südstadt"
    labels = [m.label for m in at.metric]
    assert "Einwohner (Personen)" in labels and "Anteil 65+ (%)" in labels
    shown = texts(at)
    assert "Erreichbarkeit zu Fuß" in shown and "Altersstruktur" in shown
    assert len(at.tabs) >= 3  # one tab per service category
    html = downloaded(at, "download_profile", media).decode("utf-8")
    assert "Quartiersprofil: Südstadt" in html and "<svg" in html


def test_profile_shows_origins_map_of_the_open_tab_only():
    at = open_app("profil")
    assert "Wohnorte nach Fußweg zur nächsten Einrichtung" in texts(at)
    # st_folium's component key is a hash of the map and our key (origins_map_<category>)
    maps_shown = [e.key for e in at.get("component_instance")]
    assert len(maps_shown) == 1
    at.selectbox(key="w_quarter").set_value("07").run()
    again = [e.key for e in at.get("component_instance")]
    assert len(again) == 1 and again != maps_shown  # another quarter: another map


def test_map_click_opens_profile_before_redrawing():
    at = open_app()
    # what the map's callback notes when quarter 07 is clicked (the browser test clicks)
    at.session_state["_clicked_quarter"] = "07"
    at.run()
    assert not at.exception
    assert at.header[0].value.startswith("Quartiersprofil: ")
    assert at.query_params["quarter"] == "07" and at.query_params["page"] == "profil"


def test_compare_page_table_sort_and_csv(media: dict[str, bytes]):
    at = open_app("vergleich")
    table = at.dataframe[0].value
    areas = sqe_geo.load_study(sqe_geo.DEMO_STUDY).planning_areas
    assert list(table.columns) == ["Indikator", *areas, "Stadt"]
    assert table["Indikator"].iloc[0] == "Anteil 65+ (%)"
    at.selectbox(key="w_compare_sort").set_value("share_older").run()
    ordered = at.dataframe[0].value
    values = [float(v.split(" ")[0].replace(",", ".")) for v in ordered.iloc[0, 1:-1]]
    assert values == sorted(values, reverse=True)
    csv = downloaded(at, "compare_csv", media)
    frame = pd.read_csv(io.BytesIO(csv), sep=";", decimal=",", encoding="utf-8-sig")
    assert len(frame) == len(table) and "Stadt" in frame.columns
    charts = downloaded(at, "compare_chart_csv", media)
    assert len(pd.read_csv(io.BytesIO(charts), sep=";", encoding="utf-8-sig")) == 6 * len(table)
    maps_html = downloaded(at, "compare_maps_download", media).decode("utf-8")
    assert maps_html.count("<svg") == len(table)


def _export(at: AppTest, fmt: str, level: str = "quarter") -> tuple[str, bytes]:
    at.radio(key="export_level").set_value(level)
    at.radio(key="export_format").set_value(fmt).run()
    at.button(key="export_create").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    name, data, _mime = at.session_state["export_file"]
    return name, data


def test_export_xlsx_gpkg_csv_geojson_map(tmp_path: Path):
    at = open_app("export")
    name, data = _export(at, "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert {"Quartiere", "Planungsräume", "Stadt"} <= set(book.sheetnames)
    assert book["Quartiere"].max_row == 1 + 27 * 2  # header + 27 quarters × 2 years
    assert book["Planungsräume"].max_row == 1 + 6 * 2
    name, data = _export(at, "gpkg")
    path = tmp_path / name
    path.write_bytes(data)
    layers = {row[0] for row in pyogrio.list_layers(path)}
    assert {"quartiere", "planungsraeume"} <= layers
    assert len(pyogrio.read_dataframe(path, layer="quartiere")) == 27
    name, data = _export(at, "csv_de", level="planning_area")
    frame = pd.read_csv(io.BytesIO(data), sep=";", encoding="utf-8-sig")
    assert len(frame) == 6 * 2 and "Planungsraum" not in frame.columns[:1]
    name, data = _export(at, "geojson")
    assert len(json.loads(data)["features"]) == 27
    name, data = _export(at, "map")
    assert name.endswith(".html") and b"L.map" in data


# --- upload ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quarters() -> gpd.GeoDataFrame:
    study = sqe_geo.load_study(sqe_geo.DEMO_STUDY)
    return study.quarters.rename(columns={"planning_area": "plan_area"})


@pytest.fixture(scope="module")
def shapefile_zip(quarters: gpd.GeoDataFrame, tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("shp")
    quarters.to_file(folder / "stadtteile.shp", engine="pyogrio")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in sorted(folder.iterdir()):
            archive.write(part, part.name)
    return buffer.getvalue()


def _demographics_csv(misspell: dict[str, str] | None = None) -> bytes:
    table = pd.read_csv(GEODATA / "demographics.csv", sep=";", dtype={"Stadtteil_Nr": str})
    if misspell:
        table["Stadtteil"] = table["Stadtteil"].replace(misspell)
    return table.drop(columns=["Stadtteil_Nr", "Quelle"]).to_csv(index=False).encode("utf-8")


def _mapping(**changes) -> UploadMapping:
    base = {
        "id_column": "quarter_id",
        "name_column": "name",
        "planning_area_column": "plan_area",
        "key_column": "Stadtteil",
        "year_column": "Jahr",
        "total_column": "Einwohner",
        "bands": {
            "Alter_0_19": "0-19",
            "Alter_20_64": "20-64",
            "Alter_65_79": "65-79",
            "Alter_80_plus": "80+",
        },
    }
    base.update(changes)
    return UploadMapping(**base)


def _load(ws: UploadWorkspace, mapping: UploadMapping):
    config = ws.build_config(mapping)
    assert Path(config.quarters.path).is_relative_to(ws.folder)
    return sqe_geo.run(sqe_geo.load_study(config), accessibility=False)


def test_upload_zipped_shapefile(shapefile_zip: bytes):
    with UploadWorkspace() as ws:
        ws.stage("boundaries", "stadtteile.zip", shapefile_zip)
        ws.stage("demographics", "einwohner.csv", _demographics_csv())
        assert {"quarter_id", "name", "plan_area"} <= set(ws.columns("boundaries"))
        results = _load(ws, _mapping())
        assert len(results.units["quarter"]) == 27
        assert len(results.units["planning_area"]) == 6
        demo = sqe_geo.run(sqe_geo.load_study(sqe_geo.DEMO_STUDY), accessibility=False)
        ours = results.table("city", year=2023)["share_oldest_old"].iloc[0]
        assert ours == pytest.approx(demo.table("city", year=2023)["share_oldest_old"].iloc[0])
        folder = ws.folder
    assert not folder.exists()  # the temporary folder is gone


def test_upload_geojson_without_crs(quarters: gpd.GeoDataFrame):
    lonlat = json.dumps(quarters.to_crs(4326).__geo_interface__).encode("utf-8")
    assert b'"crs"' not in lonlat
    projected = json.dumps(quarters.__geo_interface__).encode("utf-8")
    with UploadWorkspace() as ws:
        ws.stage("demographics", "einwohner.csv", _demographics_csv())
        # longitudes/latitudes: RFC 7946 GeoJSON, read as WGS 84
        ws.stage("boundaries", "stadtteile.geojson", lonlat)
        results = _load(ws, _mapping())
        area = results.study.quarters.area.sum()
        assert area == pytest.approx(quarters.area.sum(), rel=1e-3)
        # projected coordinates without a CRS: a clear message ...
        ws.stage("boundaries", "stadtteile.geojson", projected)
        with pytest.raises(InputDataError, match="declares no coordinate reference system"):
            ws.build_config(_mapping())
        # ... and with the CRS from the form it loads
        results = _load(ws, _mapping(crs="EPSG:25832"))
        assert results.study.quarters.area.sum() == pytest.approx(quarters.area.sum(), rel=1e-6)


def test_upload_misspelled_quarter_name(shapefile_zip: bytes):
    with UploadWorkspace() as ws:
        ws.stage("boundaries", "stadtteile.zip", shapefile_zip)
        ws.stage("demographics", "einwohner.csv", _demographics_csv({"Südweststadt": "Südwestadt"}))
        results = _load(ws, _mapping())
        report = results.report.to_frame()
        fuzzy = report[
            report["message"].str.contains("Südwestadt")
            | report["items"].astype(str).str.contains("Südwestadt")
        ]
        assert len(fuzzy) >= 1
        assert len(results.units["quarter"]) == 27
        assert results.table("quarter", year=2023)["population"].notna().all()


def test_upload_limits_and_mistakes(shapefile_zip: bytes):
    with UploadWorkspace(max_bytes=10_000) as ws:
        with pytest.raises(InputDataError, match="the limit is"):
            ws.stage("boundaries", "stadtteile.zip", shapefile_zip)
        with pytest.raises(InputDataError, match="not accepted"):
            ws.stage("boundaries", "stadtteile.exe", b"x")
        with pytest.raises(InputDataError, match="not a valid ZIP"):
            ws.stage("boundaries", "broken.zip", b"PK nonsense")
    with UploadWorkspace() as ws:
        ws.stage("boundaries", "stadtteile.zip", shapefile_zip)
        ws.stage("demographics", "einwohner.csv", _demographics_csv())
        with pytest.raises(InputDataError, match="no column"):
            ws.build_config(_mapping(total_column="Gesamt"))
        with pytest.raises(SqeGeoError, match="age band"):
            ws.build_config(_mapping(bands={"Alter_0_19": "young"}))


def test_guess_age_range():
    assert guess_age_range("Alter_0_19") == "0-19"
    assert guess_age_range("Alter_80_plus") == "80+"
    assert guess_age_range("80 und älter") == "80+"
    assert guess_age_range("Einwohner") is None


def _upload_page() -> AppTest:
    return open_app("daten")


def test_upload_in_app(shapefile_zip: bytes):
    at = _upload_page()
    at.file_uploader(key="up_b").set_value(("stadtteile.zip", shapefile_zip, "application/zip"))
    misspelled = _demographics_csv({"Südweststadt": "Südwestadt"})
    at.file_uploader(key="up_d").set_value(("einwohner.csv", misspelled, "text/csv"))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="up_id").value == "quarter_id"
    assert at.selectbox(key="up_year").value == "Jahr"
    assert at.selectbox(key="up_total").value == "Einwohner"
    at.selectbox(key="up_area").set_value("plan_area")
    at.multiselect(key="up_bands").set_value(["Alter_0_19", "Alter_20_64", "Alter_65_plus"])
    at.run()
    at.button(key="up_submit").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any("27 Quartiere" in s.value for s in at.success)
    assert any("Datenprüfung" in w.value for w in at.warning)  # the misspelled name
    findings = at.dataframe[-1].value
    assert findings.astype(str).apply(lambda c: c.str.contains("Südwestadt")).any().any()
    assert at.session_state["uploaded_study"]
    at.switch_page("sqe_geo/ui/pages/vergleich.py").run()
    assert "hochgeladene Studie" in texts(at)
    assert not at.exception


def test_upload_geojson_without_crs_in_app(quarters: gpd.GeoDataFrame):
    projected = json.dumps(quarters.__geo_interface__).encode("utf-8")
    at = _upload_page()
    at.file_uploader(key="up_b").set_value(("stadtteile.geojson", projected, "application/json"))
    at.file_uploader(key="up_d").set_value(("einwohner.csv", _demographics_csv(), "text/csv"))
    at.run()
    at.button(key="up_submit").click().run()
    assert not at.exception
    assert any("gibt kein Koordinatenreferenzsystem an" in e.value for e in at.error)
    at.text_input(key="up_crs").set_value("EPSG:25832").run()
    at.button(key="up_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("27 Quartiere" in s.value for s in at.success)


def test_upload_in_app_errors(shapefile_zip: bytes, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SQE_UPLOAD_MAX_MB", "0.001")
    at = _upload_page()
    at.file_uploader(key="up_b").set_value(("stadtteile.zip", shapefile_zip, "application/zip"))
    at.run()
    assert not at.exception
    assert any("die Grenze liegt bei" in e.value for e in at.error)
    monkeypatch.setenv("SQE_UPLOAD_MAX_MB", "50")
    at.file_uploader(key="up_b").set_value(("stadtteile.zip", shapefile_zip, "application/zip"))
    at.file_uploader(key="up_d").set_value(("einwohner.csv", _demographics_csv(), "text/csv"))
    at.run()
    at.selectbox(key="up_key").set_value("Jahr")  # no quarter matches a year
    at.run()
    at.button(key="up_submit").click().run()
    assert not at.exception
    assert any("Kein Schlüssel der Spalte 'Jahr'" in e.value for e in at.error)
    assert "uploaded_study" not in at.session_state


# --- the study of the app --------------------------------------------------------------


def test_sqe_study_env_points_to_another_study(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    text = (GEODATA / "demo.toml").read_text(encoding="utf-8")
    text = text.replace("demo = true", "demo = false").replace(
        "schematic_boundaries = true", "schematic_boundaries = false"
    )
    text = re.sub(r'title = ".*"', 'title = "Eigene Kopie"', text, count=1)
    text = re.sub(r'^path = "(.*)"', lambda m: f'path = "{GEODATA / m.group(1)}"', text, flags=re.M)
    text = text.replace("[network]", "[ignored_network]")  # straight-line distances: faster
    text = re.sub(r"\[ignored_network\]\npath = .*\nlayer = .*\n", "", text)
    study = tmp_path / "copy.toml"
    study.write_text(text, encoding="utf-8")
    monkeypatch.setenv("SQE_STUDY", str(study))
    at = open_app()
    assert not at.error, [e.value for e in at.error]
    shown = texts(at)
    assert "Eigene Kopie" in shown
    assert "Demo: teils synthetische Daten" not in shown and "schematische Grenzen" not in shown


def test_broken_study_shows_message_not_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SQE_STUDY", str(tmp_path / "missing.toml"))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    assert any("existiert nicht" in e.value for e in at.error)  # in the UI's language
    at.radio(key="w_lang").set_value("en").run()
    assert any("does not exist" in e.value for e in at.error)


def test_upload_geopackage_xlsx_and_services(quarters: gpd.GeoDataFrame, tmp_path: Path):
    quarters.to_file(tmp_path / "stadtteile.gpkg", engine="pyogrio")
    table = pd.read_csv(GEODATA / "demographics.csv", sep=";", dtype={"Stadtteil_Nr": str})
    buffer = io.BytesIO()
    table.to_excel(buffer, index=False)
    with UploadWorkspace() as ws:
        ws.stage("boundaries", "stadtteile.gpkg", (tmp_path / "stadtteile.gpkg").read_bytes())
        ws.stage("demographics", "einwohner.xlsx", buffer.getvalue())
        ws.stage("services", "einrichtungen.gpkg", (GEODATA / "services.gpkg").read_bytes())
        assert ws.columns("services") == [
            "service_id", "category", "name", "places", "Quelle", "synthetisch"
        ]  # fmt: skip
        mapping = _mapping(
            key_column="Stadtteil_Nr",
            category_column="category",
            service_name_column="name",
            capacity_column="places",
        )
        config = ws.build_config(mapping)
        assert config.services is not None and config.network is None
        results = sqe_geo.run(sqe_geo.load_study(config))  # straight-line accessibility
        coverage = results.table("city", year=2023)["coverage_food_older"].iloc[0]
        assert 0 < coverage < 100


def test_upload_geojson_crs_can_be_corrected(quarters: gpd.GeoDataFrame):
    projected = json.dumps(quarters.__geo_interface__).encode("utf-8")
    with UploadWorkspace() as ws:
        ws.stage("demographics", "einwohner.csv", _demographics_csv())
        ws.stage("boundaries", "stadtteile.geojson", projected)
        wrong = ws.build_config(_mapping(crs="EPSG:3035"))
        right = ws.build_config(_mapping(crs="EPSG:25832"))
        assert Path(right.quarters.path) == Path(wrong.quarters.path)
        study = sqe_geo.load_study(right)
        assert study.quarters.area.sum() == pytest.approx(quarters.area.sum(), rel=1e-6)


def test_upload_zip_with_subfolder(quarters: gpd.GeoDataFrame, tmp_path: Path):
    quarters.to_file(tmp_path / "stadtteile.shp", engine="pyogrio")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in sorted(tmp_path.iterdir()):
            archive.write(part, f"export/grenzen/{part.name}")
        archive.writestr("__MACOSX/export/._stadtteile.shp", b"\x00")
    with UploadWorkspace() as ws:
        path = ws.stage("boundaries", "grenzen.zip", buffer.getvalue())
        assert path.name == "stadtteile.shp" and path.is_relative_to(ws.folder)
        ws.stage("demographics", "einwohner.csv", _demographics_csv())
        assert len(_load(ws, _mapping()).units["quarter"]) == 27
    unsafe = io.BytesIO()
    with zipfile.ZipFile(unsafe, "w") as archive:
        archive.writestr("../evil.shp", b"x")
    with UploadWorkspace() as ws, pytest.raises(InputDataError, match="unsafe"):
        ws.stage("boundaries", "evil.zip", unsafe.getvalue())


@pytest.mark.parametrize("lang", ["de", "en"])
def test_an_internal_error_never_shows_a_python_exception(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, lang: str
):
    """A bug in a page: a message in the UI language, the traceback only in the log."""
    import sqe_geo.ui.page_export as page_export

    def broken(results):
        raise KeyError("a bug, not a user mistake")

    monkeypatch.setattr(page_export, "render", broken)
    at = open_app("export", query={"lang": lang})
    assert not at.exception
    (message,) = [e.value for e in at.error]
    expected = "Interner Fehler" if lang == "de" else "Internal error"
    assert message.startswith(expected) and "KeyError" not in message
    assert "a bug, not a user mistake" in caplog.text


def test_quality_report_table_speaks_the_ui_language():
    at = open_app("daten")
    frames = [df.value for df in at.dataframe]
    report = next(f for f in frames if "Meldung" in f.columns)
    assert "Prüfung" not in report.columns  # ids are for programs
    assert set(report["Gewicht"]) <= {"Fehler", "Warnung", "Hinweis"}
    assert "Einwohnertabelle" in set(report["Ebene"])


def test_walking_catchment_of_a_service_on_the_map_page(media: dict[str, bytes], tmp_path: Path):
    """Issue 10, part 3: pick a pharmacy, show its catchment: a table of 3 bands, a map and
    a GeoPackage to download."""
    at = open_app("karte")
    at.selectbox(key="catchment_category").set_value("pharmacy").run()
    service = at.selectbox(key="catchment_service").value
    at.button(key="catchment_show").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = at.dataframe[-1].value
    assert table["Minuten zu Fuß"].tolist() == ["5", "10", "15"]
    # rounded to tens, or "weniger als 10" (disclosure control)
    for value in table["Einwohner 65+"]:
        assert value == "weniger als 10" or value.replace(".", "").endswith("0")
    assert any("Vielfache von 10" in c.value for c in at.caption)
    assert at.session_state["_catchment"] == service
    path = tmp_path / "catchment.gpkg"
    path.write_bytes(downloaded(at, "catchment_download", media))
    layer = gpd.read_file(path, layer="einzugsbereiche")
    assert layer["minutes"].tolist() == [5.0, 10.0, 15.0]
    assert layer["residents_older"].dropna().mod(10).eq(0).all()
