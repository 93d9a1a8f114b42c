"""Page "Karte": choropleth of the quarters for one indicator and year."""

from __future__ import annotations

from typing import Any

import streamlit as st

from sqe_geo.catchments import catchment_note, study_catchments
from sqe_geo.outputs import classify, maps
from sqe_geo.outputs.catchment_map import catchment_map, catchment_table
from sqe_geo.outputs.layer_files import layer_bytes
from sqe_geo.outputs.report_html import category_label
from sqe_geo.pipeline import Results
from sqe_geo.ui import mapview, state
from sqe_geo.ui.surface_section import surface_section
from sqe_geo.ui.texts import t


def indicator_label(results: Results, ind_id: str, lang: str) -> str:
    """Selectbox label of an indicator: its label, marked by group."""
    ind = results.catalog[ind_id]
    group = t("group_access", lang) if ind.category else t("group_ageing", lang)
    unit = f" ({ind.unit(lang)})" if ind.unit(lang) else ""
    return f"{ind.label(lang)}{unit} · {group}"


def selection_controls(results: Results, lang: str, *, scheme: bool = True) -> None:
    """Indicator, year (and classification) widgets bound to the shared selection."""
    ids = state.ordered_indicators(results)
    cols = st.columns([3, 1, 2, 1] if scheme else [3, 1])
    with cols[0]:
        state.bound(
            st.selectbox,
            t("indicator", lang),
            "indicator",
            options=ids,
            format_func=lambda i: indicator_label(results, i, lang),
        )
    with cols[1]:
        state.bound(st.selectbox, t("year", lang), "year", options=results.years)
    if scheme:
        with cols[2]:
            state.bound(
                st.selectbox,
                t("scheme", lang),
                "scheme",
                options=list(classify.SCHEMES),
                format_func=lambda s: classify.scheme_label(s, lang),
            )
        with cols[3]:
            state.bound(
                st.slider,
                t("classes", lang),
                "k",
                min_value=classify.MIN_CLASSES,
                max_value=classify.MAX_CLASSES,
            )


@st.cache_resource(show_spinner=False, max_entries=64)
def _map_html(
    study_key: tuple[str, str | None], indicator: str, year: int, scheme: str, k: int, lang: str
) -> bytes:
    results = state.compute_results(*study_key)
    fmap = maps.choropleth(
        results,
        indicator,
        year,
        scheme=scheme,
        k=k,
        language=lang,
        base=maps.BaseMap(title=maps.map_title(results, indicator, year, lang)),
    )
    return maps.map_html(fmap)


@st.cache_resource(show_spinner=False, max_entries=16)
def _bands(study_key: tuple[str, str | None], service_id: str) -> Any:
    """The walking catchments (5, 10, 15 min) of one service of the study."""
    results = state.compute_results(*study_key)
    services = results.study.services
    assert services is not None
    point = services.set_index("service_id").geometry[service_id]
    return study_catchments(results, (point.x, point.y))


def _catchment_section(results: Results, lang: str) -> None:
    """Walking catchments of a chosen service: bands on a map, residents in a table."""
    services = results.study.services
    config = results.study.config
    if services is None or len(services) == 0 or config.network is None:
        return
    with st.expander(t("catchment_title", lang)):
        st.caption(t("catchment_help", lang))
        cols = st.columns([2, 3, 2])
        with cols[0]:
            category = st.selectbox(
                t("catchment_category", lang),
                options=list(dict.fromkeys(services["category"])),
                format_func=lambda c: category_label(results, str(c), lang),
                key="catchment_category",
            )
        sub = services[services["category"] == category].sort_values(["name", "service_id"])
        names = dict(zip(sub["service_id"], sub["name"].astype(str), strict=True))
        with cols[1]:
            chosen = st.selectbox(
                t("catchment_service", lang),
                options=list(names),
                format_func=lambda i: names[i] or i,
                key="catchment_service",
            )
        with cols[2]:
            st.write("")
            if st.button(t("catchment_show", lang), key="catchment_show"):
                st.session_state["_catchment"] = chosen
        shown = str(st.session_state.get("_catchment", ""))
        if shown not in set(services["service_id"]):
            return
        with state.errors_shown():
            bands = _bands(state.study_ref(), shown)
        service = services.set_index("service_id").loc[shown]
        point, name = service["geometry"], str(service["name"])
        st.dataframe(catchment_table(bands, lang), hide_index=True)
        st.caption(catchment_note(config.disclosure.enabled, lang))
        st.download_button(
            t("catchment_download", lang),
            layer_bytes(bands, "einzugsbereich.gpkg", "einzugsbereiche"),
            file_name=f"einzugsbereich_{shown}.gpkg",
            mime="application/geopackage+sqlite3",
            key="catchment_download",
        )
        mapview.show_map(
            lambda: catchment_map(bands, (point.x, point.y), name, lang),
            key="catchment_map",
            height=420,
            returned_objects=[],
        )


def _remember_click(value: dict[str, Any] | None) -> None:
    """Map callback: note the clicked quarter (handled at the top of the next rerun)."""
    drawing = (value or {}).get("last_active_drawing") or {}
    clicked = (drawing.get("properties") or {}).get("unit_id")
    if clicked:
        st.session_state["_clicked_quarter"] = clicked


def render(results: Results) -> None:
    """Draw the page."""
    lang = state.language()
    s = st.session_state
    clicked = s.pop("_clicked_quarter", None)
    if clicked in set(results.units["quarter"]["unit_id"]):
        # a click on the map: open the profile before anything is drawn again
        s["quarter"] = clicked
        state.sync_query_params("profil")
        from sqe_geo.ui.app import goto

        goto("profil")
    st.header(t("page_map", lang))
    selection_controls(results, lang)
    ind = results.catalog[s["indicator"]]
    if ind.description(lang):
        st.caption(ind.description(lang))
    selection = (s["indicator"], s["year"], s["scheme"], s["k"], lang)
    study_key = state.study_ref()
    # the base (tiles, outlines, services) stays in the browser; only the quarters and
    # the legend of the selection are swapped
    mapview.show_layered_map(
        lambda: maps.choropleth_base(results, language=lang),
        lambda: maps.choropleth_layers(
            results,
            s["indicator"],
            s["year"],
            scheme=s["scheme"],
            k=s["k"],
            language=lang,
            highlight=s.get("quarter"),
        ),
        key="karte_map",
        height=560,
        returned_objects=["last_active_drawing"],
        on_value=_remember_click,
    )
    st.caption(t("map_help", lang))

    quarters = results.units["quarter"].sort_values("name")
    names = dict(zip(quarters["unit_id"], quarters["name"], strict=True))
    cols = st.columns([3, 1, 2])
    with cols[0]:
        state.bound(
            st.selectbox,
            t("pick_quarter", lang),
            "quarter",
            options=list(names),
            format_func=lambda q: names[q],
        )
    with cols[1]:
        st.write("")
        if st.button(t("open_profile", lang), key="open_profile"):
            from sqe_geo.ui.app import goto

            goto("profil")
    with cols[2]:
        st.write("")
        st.download_button(
            t("download_map", lang),
            # built when clicked (a standalone map with embedded Leaflet takes a while)
            lambda: _map_html(study_key, *selection),
            file_name=f"karte_{s['indicator']}_{s['year']}.html",
            mime="text/html",
            key="download_map",
        )
    _catchment_section(results, lang)
    surface_section(results, lang)
