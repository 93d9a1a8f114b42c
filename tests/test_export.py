"""Exports: round trips of every format, the withheld mark, atomic writes."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest

import sqe_geo
from sqe_geo._errors import ExportError
from sqe_geo.outputs.export import (
    WITHHELD,
    csv_bytes,
    export_table,
    geojson_bytes,
    gpkg_bytes,
    write_atomic,
    write_outputs,
    xlsx_bytes,
)
from sqe_geo.outputs.notes import internal_note


def test_german_csv_round_trip(demo_results):
    table = export_table(demo_results, "planning_area", years=[2023])
    data = csv_bytes(table, german=True)
    assert data.startswith(b"\xef\xbb\xbf")  # BOM so Excel detects UTF-8
    back = pd.read_csv(io.BytesIO(data), sep=";", decimal=",", encoding="utf-8-sig")
    assert list(back.columns) == list(table.columns)
    share = "Anteil 65+ (%)"
    expected = demo_results.values["planning_area"].xs(2023, level="year")["share_older"]
    assert back[share].tolist() == pytest.approx(expected.round(1).tolist())
    assert "Planungsraum" not in back.columns and back["Jahr"].eq(2023).all()


def test_plain_csv_uses_ids_and_points(demo_results):
    table = export_table(demo_results, "quarter", labels=False, withheld=None)
    back = pd.read_csv(io.BytesIO(csv_bytes(table, german=False)), dtype={"unit_id": str})
    assert {"unit_id", "name", "planning_area", "year", "share_older"} <= set(back.columns)
    assert len(back) == 27 * len(demo_results.years)
    assert back["unit_id"].iloc[0] == "01"


def test_withheld_values_are_marked_in_german_tables(demo_results):
    mask = demo_results.suppressed["quarter"]
    if not mask.to_numpy().any():
        pytest.skip("the demo has no withheld values")
    table = export_table(demo_results, "quarter", labels=False)
    marked = table.drop(columns=["unit_id", "name", "planning_area", "year"]) == WITHHELD
    assert int(marked.to_numpy().sum()) == int(mask.to_numpy().sum())


def test_xlsx_has_the_expected_sheets_and_rows(demo_results):
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(demo_results)))
    assert book.sheetnames == [
        "Quartiere",
        "Planungsräume",
        "Stadt",
        "Indikatoren",
        "Metadaten",
        "Datenqualität",
    ]
    years = len(demo_results.years)
    assert book["Quartiere"].max_row == 1 + 27 * years
    assert book["Planungsräume"].max_row == 1 + 6 * years
    assert book["Stadt"].max_row == 1 + years
    assert book["Indikatoren"].max_row == 1 + len(demo_results.catalog)
    meta = {row[0].value: row[1].value for row in book["Metadaten"].iter_rows(min_row=2)}
    assert meta["Gehgeschwindigkeit (m/s)"] == "0.8"
    assert meta["Schwellenwert food (Lebensmittel)"] == "500 m"
    assert any(str(k).startswith("Quelle: Stadtteilgrenzen und Einwohner") for k in meta)


def test_gpkg_and_geojson_open_with_pyogrio(demo_results, tmp_path: Path):
    path = tmp_path / "x.gpkg"
    path.write_bytes(gpkg_bytes(demo_results, year=2023))
    layers = dict(pyogrio.list_layers(path))
    assert set(layers) == {"quartiere", "planungsraeume"}
    quarters = pyogrio.read_dataframe(path, layer="quartiere")
    assert len(quarters) == 27 and quarters.crs.to_epsg() == 25832
    geojson = tmp_path / "x.geojson"
    geojson.write_bytes(geojson_bytes(demo_results, level="planning_area", year=2023))
    areas = pyogrio.read_dataframe(geojson)
    assert len(areas) == 6 and areas.crs.to_epsg() == 4326
    with pytest.raises(ExportError):
        geojson_bytes(demo_results, level="city", year=2023)


def test_outputs_never_go_into_an_input_folder(demo_results):
    folder = Path(demo_results.study.config.quarters.path).parent
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(ExportError, match="study input"):
        write_outputs(demo_results, folder)
    with pytest.raises(ExportError, match="study input"):
        write_outputs(demo_results, folder / "out")
    assert sorted(p.name for p in folder.iterdir()) == before


def test_failed_atomic_write_leaves_nothing(tmp_path: Path):
    target = tmp_path / "table.csv"
    target.write_bytes(b"old")

    with pytest.raises(TypeError):
        write_atomic(target, object())  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"


def test_demo_note_travels_with_every_table(demo_results, tmp_path):
    """Issue 14: a demo table copied out of its file still says that it is demo data."""
    demo_note = "DEMO-DATEN – teils synthetisch"
    table = export_table(demo_results, "quarter")
    assert table["Hinweis"].str.startswith(demo_note).all()
    technical = export_table(demo_results, "city", language="en", labels=False)
    assert technical["note"].str.startswith("DEMO DATA").all()
    german_csv = csv_bytes(export_table(demo_results, "planning_area"), german=True)
    assert demo_note in german_csv.decode("utf-8-sig")
    path = tmp_path / "demo.gpkg"
    path.write_bytes(gpkg_bytes(demo_results, year=2016))
    layers = gpd.read_file(path, layer="quartiere")
    assert layers["note"].str.startswith(demo_note).all()


def test_unknown_indicator_is_named(demo_results):
    with pytest.raises(ExportError, match="nope"):
        export_table(demo_results, "city", indicators=["nope"])


def test_outputs_say_so_when_disclosure_control_is_off(demo_study):
    config = demo_study.config.model_copy(
        update={"disclosure": demo_study.config.disclosure.model_copy(update={"enabled": False})}
    )
    results = sqe_geo.run(dataclasses.replace(demo_study, config=config), accessibility=False)
    table = export_table(results, "quarter")
    # the demo's own note comes first, then the internal one
    assert table["Hinweis"].str.endswith("; " + internal_note("de")[1]).all()
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(results)))
    for sheet in ("Quartiere", "Planungsräume", "Stadt"):
        header = [c.value for c in book[sheet][1]]
        assert header[-1] == "Hinweis"
    assert not results.suppressed["quarter"].to_numpy().any()


def test_rounding_is_half_up_as_in_official_statistics():
    from sqe_geo.i18n.formatting import round_half_up

    values = pd.Series([1.25, 12.35, -1.25, 2.5, float("nan"), 0.05])
    out = round_half_up(values, 1)
    assert out.iloc[:4].tolist() == [1.3, 12.4, -1.3, 2.5]
    assert np.isnan(out.iloc[4])
    assert round_half_up(pd.Series([2.5, 3.5]), 0).tolist() == [3.0, 4.0]


def test_change_in_the_base_year_is_x_with_a_note(demo_results):
    """German tables: "x" (no statement possible) for a change in its base year, explained."""
    from sqe_geo.outputs.export import export_table

    table = export_table(demo_results, "quarter", language="de")
    label = demo_results.catalog["change_older_abs"].label("de")
    column = next(c for c in table.columns if c.startswith(label))
    base = table[table["Jahr"] == 2016]
    assert set(base[column]) == {"x"}
    assert set(base["Status"]) == {"x = kein Wert im Basisjahr"}
