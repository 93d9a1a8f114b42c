"""Maps, comparison and quarter profile: classification, colours, withheld values, tooltips,
the planning-area comparison and the printable HTML report."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import subprocess
import sys
import warnings

import mapclassify
import numpy as np
import pandas as pd
import pytest

import sqe_geo
from sqe_geo.access.coverage import distance_class
from sqe_geo.i18n.formatting import format_number
from sqe_geo.outputs import (
    classify,
    compare,
    compare_maps,
    map_data,
    maps,
    origins_map,
    report_html,
    svg_maps,
)
from sqe_geo.pipeline import Results
from sqe_geo.stats.aggregate import CITY_ID

YEAR = 2023


def _luminance(hex_color: str) -> float:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.fixture(scope="module")
def withheld(demo_results_ageing: Results) -> Results:
    """The demo results with share_older of quarter 03 withheld and 05 missing."""
    results = copy.copy(demo_results_ageing)
    results.values = {k: v.copy() for k, v in demo_results_ageing.values.items()}
    results.suppressed = {k: v.copy() for k, v in demo_results_ageing.suppressed.items()}
    results.values["quarter"].loc[("03", YEAR), "share_older"] = np.nan
    results.suppressed["quarter"].loc[("03", YEAR), "share_older"] = True
    results.values["quarter"].loc[("05", YEAR), "share_older"] = np.nan
    results.values["planning_area"].loc[("Süd", YEAR), "share_older"] = np.nan
    results.suppressed["planning_area"].loc[("Süd", YEAR), "share_older"] = True
    return results


# --- classification --------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["quantiles", "fisher_jenks", "equal_interval"])
@pytest.mark.parametrize("k", [3, 5, 7])
def test_class_limits_equal_mapclassify(demo_results_ageing: Results, scheme: str, k: int):
    values = demo_results_ageing.table("quarter", year=YEAR).set_index("unit_id")["share_older"]
    cls = classify.classify(values, scheme, k)
    with warnings.catch_warnings():  # FisherJenks: "Numba not installed" (no numba here)
        warnings.simplefilter("ignore", UserWarning)
        oracle = classify.SCHEMES[scheme](values.to_numpy(), k=k)
    np.testing.assert_allclose(cls.bins, oracle.bins)
    assert cls.classes.to_numpy(dtype=int).tolist() == oracle.yb.tolist()
    assert cls.k == k and len(cls.colors) == k
    assert cls.lower == pytest.approx(values.min())


def test_mapclassify_names_match():
    assert classify.SCHEMES["fisher_jenks"] is mapclassify.FisherJenks


def test_classify_missing_and_few_values():
    values = pd.Series([1.0, np.nan, 2.0, 2.0, 1.0], index=list("abcde"))
    cls = classify.classify(values, "quantiles", 5)
    assert cls.k == 2
    assert pd.isna(cls.classes["b"]) and cls.color_of("b") is None
    assert cls.color_of("a") != cls.color_of("c")
    single = classify.classify(pd.Series([4.0, 4.0]), "fisher_jenks", 5)
    assert single.k == 1
    empty = classify.classify(pd.Series([np.nan]), "equal_interval", 4)
    assert empty.k == 0 and empty.colors == []
    with pytest.raises(ValueError, match="unknown classification"):
        classify.classify(values, "jenks", 5)


def test_classes_clamped_to_3_to_7():
    values = pd.Series(np.arange(40, dtype=float))
    assert classify.classify(values, "equal_interval", 12).k == 7
    assert classify.classify(values, "equal_interval", 1).k == 3


def test_format_number_rounds_half_up():
    assert format_number(1.25, 1) == "1,3"
    assert format_number(12.35, 1, "en") == "12.4"
    assert format_number(-1.25, 1) == "-1,3"
    assert format_number(2.5, 0) == "3"
    assert format_number(1234567.891, 2) == "1.234.567,89"
    assert format_number(float("nan")) == "" and format_number(None) == ""


def test_legend_labels_are_german_numbers():
    cls = classify.classify(pd.Series([1000.5, 2000.25, 3000.0, 4000.0]), "equal_interval", 3)
    labels = cls.legend_labels(1, "de")
    assert labels[0] == "1.000,5 – 2.000,3"
    assert cls.legend_labels(1, "en")[0] == "1,000.5 – 2,000.3"


# --- colours ---------------------------------------------------------------------------


def test_palette_direction():
    worse = classify.palette("higher_is_worse", 5)
    better = classify.palette("higher_is_better", 5)
    neutral = classify.palette("neutral", 5)
    assert _luminance(worse[0]) > _luminance(worse[-1])  # high values dark
    assert better == worse[::-1]  # low values dark
    assert _luminance(better[0]) < _luminance(better[-1])
    assert not set(neutral) & set(worse)  # a ramp of its own


def test_darkest_quarter_is_most_need(demo_results: Results):
    # share_older: higher is worse -> highest value darkest
    table = demo_results.table("quarter", year=YEAR).set_index("unit_id")
    worse = classify.classify(table["share_older"], "quantiles", 5, direction="higher_is_worse")
    top = table["share_older"].idxmax()
    assert worse.color_of(top) == min(worse.colors, key=_luminance)
    coverage = next(i for i in demo_results.catalog if i.id.startswith("coverage_"))
    assert coverage.direction == "higher_is_better"
    column = table[coverage.id]
    better = classify.classify(column, "quantiles", 5, direction=coverage.direction)
    assert better.color_of(column.idxmin()) == min(better.colors, key=_luminance)
    assert better.color_of(column.idxmax()) == max(better.colors, key=_luminance)


# --- the folium map --------------------------------------------------------------------


def test_quarter_layer_tooltip_fields(demo_results_ageing: Results):
    layer = map_data.quarter_layer(demo_results_ageing, "share_older", YEAR, "de")
    assert layer.crs.to_epsg() == 4326
    assert len(layer) == 27
    table = demo_results_ageing.table("quarter", year=YEAR).set_index("unit_id")
    row = layer.set_index("unit_id").loc["03"]
    assert row["name"] == "Südstadt"
    assert row["planning_area"] == table.loc["03", "planning_area"]
    assert row["value_text"] == format_number(table.loc["03", "share_older"], 1) + " %"
    rank = int(table["share_older"].rank(ascending=False, method="min")["03"])
    assert row["rank_text"] == f"{rank} von 27 (1 = höchster Wert)"
    english = map_data.quarter_layer(demo_results_ageing, "share_older", YEAR, "en")
    assert english.set_index("unit_id").loc["03", "rank_text"].endswith("(1 = highest value)")


def test_map_tooltip_legend_and_layers(demo_results: Results):
    fmap = maps.choropleth(demo_results, "share_oldest_old", YEAR, scheme="fisher_jenks", k=4)
    html = maps.map_html(fmap).decode("utf-8")
    # tooltip: name, planning area, value, rank
    for alias in ("Quartier", "Planungsraum", "Anteil Hochbetagte 80+", "Rang"):
        assert alias in html
    assert "value_text" in html and "rank_text" in html
    # legend: title with year, unit, class limits like the classification
    values = demo_results.table("quarter", year=YEAR).set_index("unit_id")["share_oldest_old"]
    cls = classify.classify(values, "fisher_jenks", 4)
    for label in cls.legend_labels(1, "de"):
        assert label in html
    assert "Anteil Hochbetagte 80+ (2023)" in html
    assert html.count("sqe-legend-class") == 4
    # one toggleable layer per service category, hidden at start, plus a layer control
    for label in ("Einrichtungen: Lebensmittel", "Einrichtungen: Apotheke"):
        assert label in html
    # the demo's synthetic services say so: whole categories and single points (issue 14)
    assert "Einrichtungen: Apotheke (synthetisch)" in html
    assert "Einrichtungen: Lebensmittel (teils synthetisch)" in html
    assert "Einrichtungen: Sitzbank (" not in html  # the benches are real
    assert "Lebensmittelmarkt Palmbach (synthetisch)" in html
    assert "L.control.layers" in html
    # Leaflet is embedded, no CDN needed
    assert "cdn.jsdelivr.net" not in html and "code.jquery.com" not in html


def test_suppressed_and_missing_drawn_distinctly(withheld: Results):
    fmap = maps.choropleth(withheld, "share_older", YEAR, base=maps.BaseMap(services=False))
    html = maps.map_html(fmap).decode("utf-8")
    assert html.count(maps.HATCH_FILL) >= 1
    assert "sqe-hatch" in html  # the pattern definition
    assert "zurückgehalten (Geheimhaltung)" in html and "keine Daten" in html
    layer = map_data.quarter_layer(withheld, "share_older", YEAR).set_index("unit_id")
    assert layer.loc["03", "suppressed"] and layer.loc["03", "value_text"] == (
        "zurückgehalten (Geheimhaltung)"
    )
    assert not layer.loc["05", "suppressed"] and layer.loc["05", "value_text"] == "keine Daten"
    assert layer.loc["03", "rank_text"] == "–"
    # the style of every quarter: hatched, grey, or a class colour
    geojson = next(
        child
        for child in fmap._children.values()
        for child in child._children.values()
        if type(child).__name__ == "GeoJson"
    )
    features = {f["properties"]["unit_id"]: f for f in geojson.data["features"]}
    style = geojson.style_function
    assert style(features["03"])["fillColor"] == maps.HATCH_FILL
    assert style(features["05"])["fillColor"] == classify.MISSING_COLOR
    assert style(features["01"])["fillColor"] in classify.palette("higher_is_worse", 5)


def test_map_without_withheld_values_has_no_hatch_legend(demo_results_ageing: Results):
    html = maps.map_html(
        maps.choropleth(demo_results_ageing, "share_older", YEAR, base=maps.BaseMap(services=False))
    ).decode("utf-8")
    assert "sqe-legend-suppressed" not in html and "sqe-legend-missing" not in html


def test_map_english_and_highlight(demo_results_ageing: Results):
    fmap = maps.choropleth(
        demo_results_ageing, "old_age_dependency", YEAR, language="en", highlight="07"
    )
    html = maps.map_html(fmap).decode("utf-8")
    assert "Old-age dependency" in html or "dependency" in html.lower()
    assert "Planning area" in html and "darker = more need" in html


def test_svg_map(withheld: Results):
    areas = withheld.planning_areas_geo(YEAR)
    svg = svg_maps.svg_map(
        areas, {"Nord": "#ff0000"}, hatched={"Süd"}, labels={"Nord": "Nord: 1"}, title="T"
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<path") == 6
    assert 'fill="#ff0000"' in svg and "url(#sqe-hatch)" in svg and "<title>Nord: 1</title>" in svg
    # names from data are escaped by the template
    odd = svg_maps.svg_map(areas, labels={"Nord": "<b>Nord</b> & Co"}, title='"T"')
    assert "&lt;b&gt;Nord&lt;/b&gt; &amp; Co" in odd and "<b>" not in odd


def test_small_maps_page(withheld: Results):
    comp = compare.comparison(withheld, YEAR, ["share_older", "population"])
    small = [compare_maps.small_map(withheld, comp, i, "de") for i in comp.values.index]
    assert small[0].svg.startswith("<svg") and "Stadt: " in small[0].caption
    page = compare_maps.small_maps_html(small, YEAR, "en")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert f"<title>Small maps {YEAR}</title>" in page and page.count("<figure><svg") == 2
    assert "&lt;svg" not in page  # the maps are not escaped twice
    assert "<script" not in page


# --- comparison ------------------------------------------------------------------------


def test_comparison_values_and_deviation(demo_results_ageing: Results):
    ids = ["share_older", "youth_dependency", "population"]
    comp = compare.comparison(demo_results_ageing, YEAR, ids)
    areas = demo_results_ageing.table("planning_area", year=YEAR).set_index("unit_id")
    city = demo_results_ageing.table("city", year=YEAR).set_index("unit_id")
    assert comp.areas == list(areas.index)
    assert list(comp.values.columns)[-1] == CITY_ID
    for area in comp.areas:
        expected = areas.loc[area, "share_older"] - city.loc[CITY_ID, "share_older"]
        assert comp.deviation.loc["share_older", area] == pytest.approx(expected)
        assert comp.need.loc["share_older", area] == np.sign(expected)
        assert comp.need.loc["youth_dependency", area] == 0  # neutral
    assert comp.deviation.loc["population"].isna().all()  # counts: no deviation


def test_comparison_sort_and_display(withheld: Results):
    comp = compare.comparison(withheld, YEAR, ["share_older", "share_oldest_old"])
    ordered = compare.sort_areas(comp, "share_oldest_old", descending=True)
    values = ordered.values.loc["share_oldest_old", ordered.areas]
    assert list(values) == sorted(values, reverse=True)
    assert list(ordered.values.columns)[-1] == CITY_ID
    table = compare.display_table(withheld, comp, "de")
    assert table.loc[0, "Indikator"] == "Anteil 65+ (%)"
    assert table.loc[0, "Süd"] == "."  # withheld
    assert re.fullmatch(r"\d+,\d \([+−±]\d+,\d\)", table.loc[0, "Nord"])
    styles = compare.cell_styles(comp, "de")
    assert styles.shape == table.shape
    worse = comp.need.loc["share_oldest_old"] > 0
    for area, is_worse in worse.items():
        assert (compare.WORSE_BG in styles.loc[1, area]) == bool(is_worse)
    frame = compare.comparison_csv_frame(withheld, comp, "de")
    assert "Nord: Abweichung von Stadt" in frame.columns and len(frame) == 2
    long = compare.long_frame(withheld, comp, "en")
    assert len(long) == 2 * 6 and set(long["need"]) <= {-1, 0, 1}


# --- quarter profile -------------------------------------------------------------------


def test_profile_key_figures(demo_results: Results):
    profile = report_html.quarter_profile(demo_results, "03", YEAR, "de")
    assert profile.name == "Südstadt"
    figures = {f.indicator_id: f for f in profile.key_figures}
    population = demo_results.values["quarter"].loc[("03", YEAR), "population"]
    assert figures["population"].text == format_number(population, 0)
    assert figures["share_older"].unit == "%"
    assert 1 <= figures["share_older"].rank <= 27
    ages = profile.age_structure
    assert ages["Personen"].sum() == pytest.approx(population, rel=0.05)
    # shares of the published total (Südstadt 2016: the bands miss 519 of 20,640 persons)
    assert ages["Anteil (%)"].sum() == pytest.approx(
        ages["Personen"].sum() / population * 100, abs=0.3
    )
    # accessibility grouped by category, labels of the study
    assert "Lebensmittel" in profile.accessibility
    food = profile.accessibility["Lebensmittel"]
    assert any("65+" in label for label in food["Indikator"])
    assert not any(label.startswith("Lebensmittel:") for label in food["Indikator"])
    assert set(food.columns) == {"Indikator", "Einheit", "Quartier", "Planungsraum", "Stadt"}


def test_profile_html_report(withheld: Results):
    html = report_html.profile_html(withheld, "03", YEAR, "de", indicator_id="share_older")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "Quartiersprofil: Südstadt" in html
    assert "Demo-Daten" in html and "schematische Grenzen" not in html
    population = withheld.values["quarter"].loc[("03", YEAR), "population"]
    assert format_number(population, 0) in html
    assert "<svg" in html and "<style>" in html
    # self-contained: no scripts, no external stylesheets, images or fonts
    assert "<script" not in html and "src=" not in html and "<link" not in html
    assert "Vergleich mit Planungsraum und Stadt" in html
    # the withheld share is a "." in the comparison table
    assert re.search(
        r"<td class=\"\">Anteil 65\+</td><td class=\"\">%</td><td class=\"num\">\.</td>", html
    )
    english = report_html.profile_html(withheld, "03", YEAR, "en")
    assert "Quarter profile: Südstadt" in english and "Key figures" in english


def test_profile_unknown_quarter(demo_results_ageing: Results):
    with pytest.raises(KeyError):
        report_html.quarter_profile(demo_results_ageing, "99", YEAR)


def test_map_html_is_standalone(demo_results_ageing: Results):
    title = maps.map_title(demo_results_ageing, "share_older", YEAR)
    assert title.startswith("Anteil 65+ (2023) · ") and "Demo-Daten" in title
    data = maps.map_html(
        maps.choropleth(
            demo_results_ageing, "share_older", YEAR, base=maps.BaseMap(tiles=None, title=title)
        )
    )
    text = data.decode("utf-8")
    assert "sqe-title" in text and "Anteil 65+ (2023)" in text
    assert text.startswith("<!DOCTYPE html>")
    assert "data:text/javascript;base64," in text
    geo = re.search(r'"features": \[', text)
    assert geo is not None
    json.loads(json.dumps({"ok": True}))


def test_library_modules_do_not_import_streamlit():
    code = (
        "import sys, sqe_geo, sqe_geo.outputs.maps, sqe_geo.outputs.compare, "
        "sqe_geo.outputs.report_html, "
        "sqe_geo.io.upload; assert 'streamlit' not in sys.modules, 'streamlit imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# --- residents' locations coloured by walking distance ---------------------------------


@pytest.fixture(scope="module")
def planted(demo_results: Results) -> tuple[Results, list[str]]:
    """Demo results with four origins of quarter 03 given known food distances and 65+."""
    results = copy.copy(demo_results)
    results.distances = {y: d.copy() for y, d in demo_results.distances.items()}
    results.origins = {y: o.copy() for y, o in demo_results.origins.items()}
    origins = results.origins[YEAR]
    ids = origins.loc[origins["quarter_id"] == "03", "origin_id"].iloc[:4].tolist()
    # food threshold 500 m: within, within 2×, farther, unreachable
    results.distances[YEAR].loc[ids, "food"] = [120.0, 999.0, 1001.0, np.nan]
    rows = origins["origin_id"].isin(ids)
    origins.loc[rows, "older"] = [1.0, 2.0, 2.6, 7.0]
    return results, ids


def test_distance_class_relative_to_threshold():
    assert distance_class(500.0, 500.0) == "within"
    assert distance_class(500.1, 500.0) == "within_2x"
    assert distance_class(1000.0, 500.0) == "within_2x"
    assert distance_class(1000.1, 500.0) == "farther"
    assert distance_class(float("nan"), 500.0) == "unreachable"
    # with disclosure control: classes at least 10 wide, never a number but 0
    assert origins_map.disclosed_count(1, 3) == "unter 10"
    assert origins_map.disclosed_count(9.9, 3) == "unter 10"
    assert origins_map.disclosed_count(0, 3) == "0"
    assert origins_map.disclosed_count(10, 3) == "10 bis unter 50"
    assert origins_map.disclosed_count(99, 3, "en") == "50 to under 100"
    assert origins_map.disclosed_count(1234, 3) == "100 und mehr"
    # without: the number
    assert origins_map.disclosed_count(1234, None) == "1.234"
    assert origins_map.disclosed_count(2, None) == "2"


def test_origin_layer_classes_distances_and_disclosure(planted):
    results, ids = planted
    layer = origins_map.origin_layer(results, "03", "food", YEAR).set_index("origin_id")
    origins = results.origins[YEAR]
    assert len(layer) == int((origins["quarter_id"] == "03").sum())
    assert layer.crs.to_epsg() == 4326
    a, b, c, d = (layer.loc[i] for i in ids)
    assert [a.distance_class, b.distance_class, c.distance_class, d.distance_class] == [
        "within",
        "within_2x",
        "farther",
        "unreachable",
    ]
    # walking speed 0.8 m/s: 120 m = 2.5 min -> 3 min (half up); 999 m = 20.8 min -> 21
    assert a.distance_text == "120 m (3 min)"
    assert b.distance_text == "999 m (21 min)"
    assert d.distance_text == "keine" and np.isnan(d.distance_m)
    assert a.class_text == "bis 500 m (10 min)"
    assert d.class_text.startswith("nicht erreichbar")
    # disclosure: 1, 2, 2.6 and 7 residents 65+ are all "unter 10"; no location shows a number
    assert [a.older_text, b.older_text, c.older_text, d.older_text] == ["unter 10"] * 4
    assert not layer["older_text"].str.fullmatch(r"[1-9][0-9.]*").any()
    # classes follow the distances everywhere (not only at the planted origins)
    real = results.distances[YEAR].loc[layer.index, "food"]
    expected = ["within" if v <= 500 else "within_2x" if v <= 1000 else "farther" for v in real]
    assert layer.drop(index=ids)["distance_class"].tolist() == [
        e for e, i in zip(expected, layer.index, strict=True) if i not in ids
    ]


def test_origin_layer_without_disclosure_shows_small_counts(planted):
    results, ids = planted
    open_results = copy.copy(results)
    open_results.study = copy.copy(results.study)
    open_results.study.config = results.study.config.model_copy(
        update={"disclosure": results.study.config.disclosure.model_copy(update={"enabled": False})}
    )
    layer = origins_map.origin_layer(open_results, "03", "food", YEAR).set_index("origin_id")
    assert layer.loc[ids[0], "older_text"] == "1" and layer.loc[ids[1], "older_text"] == "2"
    assert layer.loc[ids[2], "older_text"] == "3"  # 2.6 rounded: not a disclosure case


def _features(html: str, field: str) -> list[dict]:
    """Properties of the GeoJSON features in a folium map that carry ``field``."""
    found = []
    for match in re.finditer(r"_add\((\{\"bbox\".*?|\{\"features\".*?)\);\n", html, re.S):
        data = json.loads(match.group(1))
        found += [f["properties"] for f in data["features"] if field in f["properties"]]
    return found


def test_origins_map_layers_styles_tooltips_and_legend(planted):
    results, ids = planted
    fmap = origins_map.origins_map(results, "03", "food", YEAR, tiles=None)
    html = maps.map_html(fmap).decode("utf-8")
    origins = _features(html, "older_text")
    assert len(origins) == int((results.origins[YEAR]["quarter_id"] == "03").sum())
    by_id = {p["origin_id"]: p for p in origins}
    assert by_id[ids[3]]["distance_class"] == "unreachable"
    # tooltips never show a number of residents (disclosure on): classes only
    assert {p["older_text"] for p in origins}.isdisjoint({"1", "2", "7"})
    assert by_id[ids[0]]["older_text"] == "unter 10"
    # the unreachable style is a dashed, unfilled black ring; the others are filled
    assert '"dashArray": "2 2"' in html and '"fillOpacity": 0.0' in html
    for color in origins_map.DISTANCE_COLORS.values():
        assert color in html
    # tooltip aliases, legend with classes, unreachable, services and the notes
    for text in ("Fußweg", "Einwohner 65+", "Klasse"):
        assert text in html
    assert "Lebensmittel: Fußweg zur nächsten Einrichtung (2023)" in html
    for cls in origins_map.DISTANCE_CLASSES:
        assert f"sqe-legend-{cls}" in html
    assert "über 500 m (10 min) bis 1.000 m (21 min)" in html
    assert "Einwohner je Wohnort in Klassen" in html
    # the food stores in and around the quarter, by name
    services = [p for p in _features(html, "name") if "quarter_id" not in p]  # not quarters
    food = results.study.services[results.study.services["category"] == "food"]
    names = {p["name"] for p in services}
    assert names and names <= set(food["name"].astype(str))
    quarter = results.study.quarters.set_index("quarter_id").loc[["03"]].geometry
    inside = food[food.within(quarter.iloc[0])]
    assert set(inside["name"].astype(str)) <= names
    # the same offline Leaflet as the choropleth
    assert "data:text/javascript;base64," in html and "cdn.jsdelivr.net" not in html


def test_origins_map_english_and_unknown_category(planted):
    results, _ = planted
    html = maps.map_html(origins_map.origins_map(results, "03", "food", YEAR, "en", tiles=None))
    text = html.decode("utf-8")
    assert "Food store: walk to the nearest service (2023)" in text
    assert "Residents 65+" in text and "up to 500 m (10 min)" in text
    with pytest.raises(ValueError, match="no distances"):
        origins_map.origin_layer(results, "03", "library", YEAR)


def test_comparison_csv_carries_the_reason_of_empty_cells(demo_study):
    # A minimum count of 10 makes Knielingen's 6–7 residents 65+ who reach no meeting
    # place (the only such quarter of the demo, in Nord) a small count: withheld up to the city
    rules = demo_study.config.disclosure.model_copy(update={"min_count": 10})
    config = demo_study.config.model_copy(update={"disclosure": rules})
    results = sqe_geo.run(dataclasses.replace(demo_study, config=config))
    comp = compare.comparison(results, 2023)
    frame = compare.comparison_csv_frame(results, comp, "de").set_index("indicator_id")
    row = "unreachable_meeting_place_older"
    assert frame.loc[row, "Nord"] != frame.loc[row, "Nord"]  # NaN
    assert frame.loc[row, "Nord: Status"] == "gesperrt (Geheimhaltung)"
    assert frame.loc[row, "Stadt: Status"] == "gesperrt (Geheimhaltung)"
    assert frame.loc["share_older", "Nord: Status"] == ""
    assert "Süd: Status" not in frame.columns  # nothing to explain there


def test_change_in_the_base_year_says_so(demo_results: Results):
    """No bare dash: a change indicator in its base year has nothing to compare with."""
    status = demo_results.status_of("quarter")
    assert (status.xs(2016, level="year")["change_older_abs"] == "base_year").all()
    assert (status.xs(2023, level="year")["change_older_abs"] == "").all()
    profile = report_html.quarter_profile(demo_results, "03", 2016, "de")
    row = profile.comparison[profile.comparison.iloc[:, 0].str.startswith("Veränderung")]
    assert set(row.iloc[:, 2:].to_numpy().ravel()) == {"kein Wert im Basisjahr"}
    ind = demo_results.catalog["change_older_abs"]
    assert map_data.value_text(float("nan"), ind, "en", status="base_year") == (
        "no value in the base year"
    )
    assert map_data.value_text(float("nan"), ind, "de", status="base_year", marks=True) == "x"
