"""Page "Szenarien": before and after a scenario, best new sites, catchment of a point."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import streamlit as st

from sqe_geo.catchments import catchment_note, study_catchments
from sqe_geo.i18n.formatting import format_number
from sqe_geo.locate import LocationRequest, study_locations
from sqe_geo.outputs.catchment_map import catchment_map, catchment_table
from sqe_geo.outputs.report_html import category_label
from sqe_geo.outputs.scenario_map import difference_map, sites_map
from sqe_geo.outputs.scenario_tables import comparison_export, scenario_files
from sqe_geo.pipeline import Results
from sqe_geo.scenario import ScenarioResults, run_scenario
from sqe_geo.scenario_export import changes_layer, difference_layer, scenario_tables
from sqe_geo.scenario_file import Scenario, read_scenario, scenario_from_rows, scenario_path
from sqe_geo.stats.aggregate import LEVEL_LABELS, LEVELS, Level
from sqe_geo.ui import mapview, scenario_builder, state
from sqe_geo.ui.texts import t

_SOURCES = ("study", "upload", "build")


@st.cache_resource(show_spinner=False, max_entries=8)
def _scenario(study_key: tuple[str, str | None], scenario: Scenario) -> ScenarioResults:
    """A scenario's results, once per study and scenario."""
    return run_scenario(state.compute_results(*study_key), scenario)


@st.cache_resource(show_spinner=False, max_entries=8)
def _files(study_key: tuple[str, str | None], scenario: Scenario, lang: str) -> dict[str, bytes]:
    """The scenario's download files, built once per study, scenario and language."""
    result = _scenario(study_key, scenario)
    return scenario_files(scenario_tables(result, lang), difference_layer(result), language=lang)


@st.cache_resource(show_spinner=False, max_entries=8)
def _sites(study_key: tuple[str, str | None], request: LocationRequest) -> Any:
    return study_locations(state.compute_results(*study_key), request)


def _chosen_scenario(results: Results, lang: str) -> Scenario | None:
    """The scenario of the chosen source, checked (None until there is one)."""
    config, services = results.study.config, results.study.services
    assert services is not None
    source = st.radio(
        t("scenarios.source", lang),
        options=list(_SOURCES),
        format_func=lambda s: t(f"scenarios.source_{s}", lang),
        horizontal=True,
        key="sc_source",
    )
    if source == "study":
        if not config.scenarios:
            st.info(t("scenarios.none_in_study", lang))
            return None
        name = st.selectbox(t("scenarios.pick", lang), list(config.scenarios), key="sc_pick")
        return read_scenario(scenario_path(config, str(name)), config, services)
    if source == "upload":
        upload = st.file_uploader(
            t("scenarios.upload", lang), type=["toml", "geojson", "json", "gpkg"], key="sc_file"
        )
        if upload is None:
            return None
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(upload.name).name
            path.write_bytes(upload.getvalue())
            return read_scenario(path, config, services)
    scenario_builder.builder(results, lang)
    name = st.text_input(
        t("scenarios.name", lang), value=t("scenarios.default_name", lang), key="sc_name"
    )
    rows = scenario_builder.rows()
    return scenario_from_rows(name, rows, config, services) if rows else None


def _results_section(result: ScenarioResults, lang: str) -> None:
    st.success(
        t(
            "scenarios.seconds",
            lang,
            categories=", ".join(category_label(result.after, c, lang) for c in result.changed),
            seconds=format_number(result.seconds, 2, lang),
        )
    )
    tables = scenario_tables(result, lang)
    cols = st.columns([2, 1, 3])
    with cols[0]:
        level: Level = st.selectbox(
            t("scenarios.level", lang),
            options=list(LEVELS),
            format_func=lambda v: LEVEL_LABELS.get(lang, LEVEL_LABELS["en"])[v],
            key="sc_level",
        )
    with cols[1]:
        year = st.selectbox(t("scenarios.year", lang), result.before.years[::-1], key="sc_year")
    with cols[2]:
        st.write("")
        every = st.checkbox(t("scenarios.all_categories", lang), key="sc_all")
    shown = comparison_export(tables, level, language=lang)
    frame = result.comparison[level]
    keep = (frame["year"] == year) & (every | frame["category"].isin(result.changed))
    st.dataframe(shown[keep.to_numpy()], hide_index=True)
    _difference_map(result, tables, lang, int(year))
    moved = tables.moved
    if not moved.empty:
        st.markdown(f"**{t('scenarios.moved_title', lang)}**")
        st.dataframe(
            moved.assign(
                category=[category_label(result.after, c, lang) for c in moved["category"]]
            ),
            hide_index=True,
        )
    files = _files(state.study_ref(), result.scenario, lang)
    row = st.columns(3)
    downloads = (
        (
            "download_xlsx",
            "szenario.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("download_gpkg", "szenario.gpkg", "application/geopackage+sqlite3"),
    )
    for col, (key, name, mime) in zip(row, downloads, strict=False):
        with col:
            st.download_button(
                t(f"scenarios.{key}", lang), files[name], file_name=name, mime=mime, key=f"sc_{key}"
            )
    stems = {"quarter": "quartiere", "planning_area": "planungsraeume", "city": "stadt"}
    with row[2]:
        name = f"szenario_vergleich_{stems[level]}_de.csv"
        st.download_button(
            t("scenarios.download_csv", lang),
            files[name],
            file_name=name,
            mime="text/csv",
            key="sc_download_csv",
        )


def _difference_map(result: ScenarioResults, tables: Any, lang: str, year: int) -> None:
    indicators = [i for i in result.indicators() if i.category in result.changed]
    if not indicators:
        return
    labels = {i.id: i.label(lang) for i in indicators}
    chosen = st.selectbox(
        t("scenarios.map_indicator", lang),
        options=list(labels),
        format_func=lambda i: labels[i],
        key="sc_map_indicator",
    )
    indicator = result.after.catalog[str(chosen)]
    layer = difference_layer(result, year)
    mapview.show_map(
        lambda: difference_map(
            layer,
            str(chosen),
            decimals=indicator.decimals,
            higher_is_better=indicator.direction != "higher_is_worse",
            changes=changes_layer(result),
            locations=tables.locations,
            language=lang,
        ),
        key="sc_difference_map",
        height=480,
        returned_objects=[],
    )
    st.caption(t("scenarios.map_help", lang))


def _locate_section(results: Results, lang: str) -> None:
    config = results.study.config
    if config.services is None or config.network is None or not results.origins:
        return
    with st.expander(t("scenarios.locate_title", lang)):
        st.caption(t("scenarios.locate_help", lang))
        cols = st.columns([2, 1, 2, 2])
        with cols[0]:
            category = st.selectbox(
                t("scenarios.category", lang),
                options=list(config.services.categories),
                format_func=lambda c: category_label(results, str(c), lang),
                key="sc_locate_category",
            )
        with cols[1]:
            k = st.number_input(t("scenarios.locate_k", lang), 1, 10, 2, key="sc_locate_k")
        areas = {"": t("scenarios.locate_city", lang)}
        areas |= {a: a for a in results.study.planning_areas}
        quarters = results.units["quarter"].sort_values("name")
        areas |= dict(zip(quarters["unit_id"], quarters["name"], strict=True))
        with cols[2]:
            within = st.selectbox(
                t("scenarios.locate_area", lang),
                list(areas),
                format_func=lambda a: areas[a],
                key="sc_locate_area",
            )
        with cols[3]:
            group = st.selectbox(
                t("scenarios.locate_group", lang),
                ["older", "oldest_old"],
                format_func=lambda g: t(f"scenarios.group_{g}", lang),
                key="sc_locate_group",
            )
        request = LocationRequest(str(category), int(k), None, within or None, str(group))
        if st.button(t("scenarios.locate_run", lang), key="sc_locate_run"):
            st.session_state["_sc_request"] = request
        shown = st.session_state.get("_sc_request")
        if shown is None:
            return
        with state.errors_shown():
            sites = _sites(state.study_ref(), shown)
        _show_sites(results, sites, shown, lang)


def _show_sites(results: Results, sites: Any, request: LocationRequest, lang: str) -> None:
    from sqe_geo.catchments import count_text

    gap = 100 * float(sites["gap"].iloc[0]) if len(sites) else 0.0
    st.write(
        t(
            "scenarios.locate_summary",
            lang,
            before=count_text(sites.attrs["covered_before"], lang),
            after=count_text(sites.attrs["covered_after"], lang),
            method=sites["method"].iloc[0] if len(sites) else "-",
            gap=format_number(gap, 2, lang),
        )
    )
    table = {
        t("scenarios.rank", lang): sites["rank"].tolist(),
        t("scenarios.gain", lang): [count_text(g, lang) for g in sites["gain"]],
    }
    st.dataframe(table, hide_index=True)
    quarters = results.study.quarters
    area = quarters
    if request.within:
        inside = (quarters["quarter_id"] == request.within) | (
            quarters["planning_area"] == request.within
        )
        area = quarters[inside]
    mapview.show_map(
        lambda: sites_map(sites, area, lang), key="sc_sites_map", height=380, returned_objects=[]
    )
    if st.button(t("scenarios.locate_take", lang), key="sc_locate_take"):
        added = scenario_builder.sites_as_rows(sites, request.category, lang)
        scenario_builder.rows().extend(added)
        st.session_state["_sc_use_builder"] = True
        st.session_state["_sc_taken"] = len(added)
        st.rerun()


def _catchment_section(results: Results, lang: str) -> None:
    config = results.study.config
    if config.network is None or not results.origins:
        return
    with st.expander(t("scenarios.catchment_title", lang)):
        point = scenario_builder.clicked()
        if point is None:
            st.caption(t("scenarios.catchment_need_click", lang))
            return
        if st.button(t("scenarios.catchment_show", lang), key="sc_catchment_show"):
            st.session_state["_sc_catchment"] = point
        shown = st.session_state.get("_sc_catchment")
        if shown is None:
            return
        with state.errors_shown():
            bands = study_catchments(results, shown, crs="EPSG:4326")
        st.dataframe(catchment_table(bands, lang), hide_index=True)
        st.caption(catchment_note(config.disclosure.enabled, lang))
        site = gpd.GeoSeries(gpd.points_from_xy([shown[0]], [shown[1]]), crs="EPSG:4326")
        xy = tuple(site.to_crs(bands.crs).iloc[0].coords[0])
        mapview.show_map(
            lambda: catchment_map(
                bands,
                xy,
                t("scenarios.clicked", lang, lon=f"{shown[0]:.5f}", lat=f"{shown[1]:.5f}"),
                lang,
            ),
            key="sc_catchment_map",
            height=380,
            returned_objects=[],
        )


def render(results: Results) -> None:
    """Draw the page."""
    lang = state.language()
    st.header(t("page_scenarios", lang))
    st.caption(t("scenarios.help", lang))
    if results.study.services is None or results.access is None:
        st.info(t("scenarios.none_in_study", lang))
        return
    if st.session_state.pop("_sc_use_builder", False):
        st.session_state["sc_source"] = "build"
    taken = st.session_state.pop("_sc_taken", 0)
    if taken:
        st.info(t("scenarios.locate_taken", lang, n=taken))
    scenario = _chosen_scenario(results, lang)
    if scenario is not None and st.button(
        t("scenarios.compute", lang), key="sc_compute", type="primary"
    ):
        st.session_state["_sc_scenario"] = scenario
    chosen = st.session_state.get("_sc_scenario")
    if chosen is not None:
        with state.errors_shown():
            result = _scenario(state.study_ref(), chosen)
        _results_section(result, lang)
    _locate_section(results, lang)
    _catchment_section(results, lang)
