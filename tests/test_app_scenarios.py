"""The app's Szenarien page (issue 10): a scenario of the study, one put together on the
map, the best new sites taken into it, and the catchment of a clicked point."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import openpyxl
from test_app import downloaded, media, open_app  # noqa: F401  (media is a fixture)


def _no_errors(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_scenario_of_the_study_before_after_and_downloads(media, tmp_path: Path):  # noqa: F811
    at = open_app("szenarien")
    _no_errors(at)
    assert at.radio(key="sc_source").value == "study"
    at.button(key="sc_compute").click().run()
    _no_errors(at)
    assert any("Neu berechnet" in s.value for s in at.success)
    table = at.dataframe[0].value
    assert {"Vorher", "Nachher", "Differenz"} <= set(table.columns)
    assert table["Szenario"].eq("Oberreut: Apotheke und Begegnungsort").all()
    # only the changed categories unless asked for all
    assert table["Indikator"].str.startswith(("Apotheke", "Begegnungsort")).all()
    path = tmp_path / "szenario.xlsx"
    path.write_bytes(downloaded(at, "sc_download_xlsx", media))
    sheets = openpyxl.load_workbook(path).sheetnames
    assert sheets[:3] == ["Quartiere", "Planungsräume", "Stadt"]
    gpkg = tmp_path / "szenario.gpkg"
    gpkg.write_bytes(downloaded(at, "sc_download_gpkg", media))
    changes = gpd.read_file(gpkg, layer="szenario_aenderungen")
    assert changes["action"].tolist() == ["add", "add", "remove"]


def test_put_together_on_the_map_then_locate_and_catchment():
    at = open_app("szenarien")
    at.radio(key="sc_source").set_value("build").run()
    _no_errors(at)
    # a click on the map (what st_folium reports) sets the point of a new facility
    at.session_state["sc_click"] = (8.3603, 48.9851)
    at.run()
    at.selectbox(key="sc_category").set_value("pharmacy").run()
    at.text_input(key="sc_new_name").set_value("Apotheke Test").run()
    at.button(key="sc_add").click().run()
    _no_errors(at)
    assert at.session_state["sc_rows"][0]["action"] == "add"
    at.button(key="sc_compute").click().run()
    _no_errors(at)
    table = at.dataframe[-1].value if at.dataframe else None
    assert table is not None
    # best new sites of the meeting places in Oberreut, taken into the scenario
    at.selectbox(key="sc_locate_category").set_value("meeting_place").run()
    at.number_input(key="sc_locate_k").set_value(2).run()
    at.button(key="sc_locate_run").click().run()
    _no_errors(at)
    at.button(key="sc_locate_take").click().run()
    _no_errors(at)
    rows = at.session_state["sc_rows"]
    assert len(rows) == 3 and rows[-1]["category"] == "meeting_place"
    # catchment of the clicked point
    at.button(key="sc_catchment_show").click().run()
    _no_errors(at)
    minutes = [df.value for df in at.dataframe if "Minuten zu Fuß" in df.value.columns]
    assert minutes and minutes[-1]["Minuten zu Fuß"].tolist() == ["5", "10", "15"]


def test_uploaded_scenario_with_a_mistake_shows_the_message(tmp_path: Path):
    at = open_app("szenarien")
    at.radio(key="sc_source").set_value("upload").run()
    bad = b'[[changes]]\naction = "remove"\nservice_id = "gibt-es-nicht"\n'
    at.file_uploader(key="sc_file").set_value(("kaputt.toml", bad, "application/toml")).run()
    assert any("gibt-es-nicht" in e.value for e in at.error), [e.value for e in at.error]
    assert not at.exception
