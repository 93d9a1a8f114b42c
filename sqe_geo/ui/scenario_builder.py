"""Putting a scenario together in the app: click to place, pick to remove or move.

The changes live in ``st.session_state["sc_rows"]`` as the rows of a scenario file
(longitude/latitude), so that the library checks them exactly like a file
(:func:`sqe_geo.scenario_file.scenario_from_rows`). The map's last click is kept in
``st.session_state["sc_click"]``; the catchment of the Szenarien page uses it too.
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st

from sqe_geo.outputs.map_data import to_web
from sqe_geo.outputs.report_html import category_label
from sqe_geo.pipeline import Results
from sqe_geo.ui import mapview
from sqe_geo.ui.texts import t

ROWS = "sc_rows"
CLICK = "sc_click"


def rows() -> list[dict[str, Any]]:
    """The changes put together so far (rows of a scenario file, EPSG:4326)."""
    value: list[dict[str, Any]] = st.session_state.setdefault(ROWS, [])
    return value


def clicked() -> tuple[float, float] | None:
    """The last point clicked on the builder map, ``(lon, lat)``."""
    value = st.session_state.get(CLICK)
    return (float(value[0]), float(value[1])) if value else None


def _remember_click(value: dict[str, Any] | None) -> None:
    click = (value or {}).get("last_clicked")
    if click:
        st.session_state[CLICK] = (float(click["lng"]), float(click["lat"]))


def _builder_map(results: Results, category: str) -> folium.Map:
    quarters = to_web(results.study.quarters)
    xmin, ymin, xmax, ymax = quarters.total_bounds
    fmap = folium.Map(tiles="OpenStreetMap", control_scale=True)
    fmap.fit_bounds([[ymin, xmin], [ymax, xmax]])
    folium.GeoJson(
        quarters[["name", "geometry"]].to_json(),
        style_function=lambda _f: {"fillOpacity": 0.0, "color": "#555555", "weight": 1},
    ).add_to(fmap)
    services = results.study.services
    if services is not None:
        web = to_web(services[services["category"] == category])
        for _, row in web.iterrows():
            folium.CircleMarker(
                [row.geometry.y, row.geometry.x], radius=4, color="#2b83ba", fill=True,
                fill_opacity=0.9, weight=1, tooltip=str(row["name"]),
            ).add_to(fmap)  # fmt: skip
    for row in rows():
        if row.get("at"):
            lon, lat = row["at"]
            color = "#1a9641" if row["action"] == "add" else "#2b83ba"
            folium.CircleMarker(
                [lat, lon], radius=9, color="#222222", fill=True, fill_color=color,
                fill_opacity=0.95, weight=2, tooltip=str(row.get("name", "")),
            ).add_to(fmap)  # fmt: skip
    point = clicked()
    if point is not None:
        folium.Marker([point[1], point[0]]).add_to(fmap)
    return fmap


def builder(results: Results, lang: str) -> None:
    """The map and the controls that put a scenario together."""
    services = results.study.services
    config = results.study.config
    if services is None or config.services is None:
        return
    categories = list(config.services.categories)
    cols = st.columns([2, 3])
    with cols[0]:
        category = st.selectbox(
            t("scenarios.category", lang),
            options=categories,
            format_func=lambda c: category_label(results, str(c), lang),
            key="sc_category",
        )
    st.caption(t("scenarios.click_help", lang))
    mapview.show_map(
        lambda: _builder_map(results, str(category)),
        key="sc_map",
        height=460,
        returned_objects=["last_clicked"],
        on_value=_remember_click,
    )
    point = clicked()
    st.caption(
        t("scenarios.clicked", lang, lon=f"{point[0]:.5f}", lat=f"{point[1]:.5f}")
        if point
        else t("scenarios.no_click", lang)
    )
    _add_controls(str(category), point, lang)
    _existing_controls(results, str(category), point, lang)
    _change_list(results, lang)


def _add_controls(category: str, point: tuple[float, float] | None, lang: str) -> None:
    cols = st.columns([3, 2, 2])
    with cols[0]:
        name = st.text_input(t("scenarios.new_name", lang), key="sc_new_name")
    with cols[1]:
        places = st.number_input(
            t("scenarios.capacity", lang), min_value=0, value=0, step=1, key="sc_capacity"
        )
    with cols[2]:
        st.write("")
        if st.button(t("scenarios.add", lang), key="sc_add", disabled=point is None):
            row: dict[str, Any] = {"action": "add", "category": category, "at": list(point or ())}
            if name:
                row["name"] = name
            if places:
                row["capacity"] = int(places)
            rows().append(row)
            st.rerun()


def _existing_controls(
    results: Results, category: str, point: tuple[float, float] | None, lang: str
) -> None:
    services = results.study.services
    assert services is not None
    sub = services[services["category"] == category].sort_values(["name", "service_id"])
    names = dict(zip(sub["service_id"].astype(str), sub["name"].astype(str), strict=True))
    if not names:
        return
    cols = st.columns([3, 2, 2])
    with cols[0]:
        chosen = st.selectbox(
            t("scenarios.remove_pick", lang),
            options=list(names),
            format_func=lambda i: names[i] or i,
            key="sc_existing",
        )
    with cols[1]:
        st.write("")
        if st.button(t("scenarios.remove", lang), key="sc_remove"):
            rows().append({"action": "remove", "service_id": chosen})
            st.rerun()
    with cols[2]:
        st.write("")
        if st.button(t("scenarios.move", lang), key="sc_move", disabled=point is None):
            rows().append({"action": "move", "service_id": chosen, "at": list(point or ())})
            st.rerun()


def _change_list(results: Results, lang: str) -> None:
    st.markdown(f"**{t('scenarios.changes', lang)}**")
    if not rows():
        st.caption(t("scenarios.no_changes", lang))
        return
    services = results.study.services
    assert services is not None
    names = dict(zip(services["service_id"].astype(str), services["name"].astype(str), strict=True))
    shown = pd.DataFrame(
        {
            t("scenarios.changes", lang): [
                t(f"scenario_actions.{r['action']}", lang) for r in rows()
            ],
            t("scenarios.category", lang): [
                category_label(results, str(r.get("category", "")), lang)
                if r.get("category")
                else ""
                for r in rows()
            ],
            t("scenarios.new_name", lang): [
                r.get("name") or names.get(str(r.get("service_id")), "") for r in rows()
            ],
        }
    )
    st.dataframe(shown, hide_index=True)
    if st.button(t("scenarios.clear", lang), key="sc_clear"):
        st.session_state[ROWS] = []
        st.rerun()


def sites_as_rows(sites: gpd.GeoDataFrame, category: str, lang: str) -> list[dict[str, Any]]:
    """Proposed sites of a location search as ``add`` rows of the builder.

    Parameters
    ----------
    sites
        The sites (:func:`sqe_geo.locate.study_locations`).
    category
        Their category.
    lang
        Language of their names.

    Returns
    -------
    list of dict
    """
    web = sites.to_crs("EPSG:4326")
    return [
        {
            "action": "add",
            "category": category,
            "name": t("scenarios.site_name", lang, rank=int(rank)),
            "at": [float(geometry.x), float(geometry.y)],
        }
        for rank, geometry in zip(web["rank"], web.geometry, strict=True)
    ]
