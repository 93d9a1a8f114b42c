"""Page "Planungsräume vergleichen": the planning areas side by side with the city."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from sqe_geo.outputs import compare, compare_maps
from sqe_geo.pipeline import Results
from sqe_geo.ui import regions_section, state
from sqe_geo.ui.page_export import csv_download
from sqe_geo.ui.page_map import indicator_label
from sqe_geo.ui.texts import t

#: Indicators compared by default (those the catalog has), then coverage of 65+.
DEFAULT_COMPARE = (
    "share_older",
    "share_oldest_old",
    "old_age_dependency",
    "oldest_old_ratio",
    "change_oldest_old_pct",
)


def default_indicators(results: Results) -> list[str]:
    """The default selection: key ageing indicators and the coverage of 65+ per category."""
    ids = [i for i in DEFAULT_COMPARE if i in results.catalog]
    ids += [
        i.id for i in results.catalog if i.id.startswith("coverage_") and i.id.endswith("_older")
    ]
    return ids or results.catalog.ids[:5]


def _bar_chart(frame: pd.DataFrame, label: str, unit: str, lang: str) -> alt.LayerChart:
    # field names stay plain: labels may hold ":" (a type code in Altair shorthand)
    data = frame[["area", "value", "city", "need"]].copy()
    data["need"] = data["need"].map({1: "+", -1: "−", 0: "="})
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y(
                "area:N", sort=None, title=None, axis=alt.Axis(labelLimit=220, labelOverlap=False)
            ),
            x=alt.X("value:Q", title=unit or None),
            color=alt.Color(
                "need:N",
                scale=alt.Scale(domain=["+", "=", "−"], range=["#e34a33", "#9e9e9e", "#3182bd"]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("area:N", title=t("planning_area", lang)),
                alt.Tooltip("value:Q", title=f"{label} ({unit})" if unit else label, format=".1f"),
                alt.Tooltip("city:Q", title=compare.city_label(lang), format=".1f"),
            ],
        )
    )
    rule = (
        alt.Chart(data.head(1))
        .mark_rule(color="#222", strokeDash=[4, 3], size=2)
        .encode(x="city:Q")
    )
    chart: alt.LayerChart = (bars + rule).properties(title=label, height=alt.Step(26))
    return chart


def _controls(results: Results, lang: str) -> tuple[list[str], str, bool] | None:
    """Indicator, year and sort widgets: (chosen indicators, sort key, descending)."""
    s = st.session_state
    if "compare_indicators" not in s:
        s["compare_indicators"] = default_indicators(results)
    cols = st.columns([4, 1])
    with cols[0]:
        chosen: list[str] = state.bound(
            st.multiselect,
            t("indicators", lang),
            "compare_indicators",
            options=state.ordered_indicators(results),
            format_func=lambda i: indicator_label(results, i, lang),
        )
    with cols[1]:
        state.bound(st.selectbox, t("year", lang), "year", options=results.years)
    if not chosen:
        st.info(t("pick_one", lang))
        return None
    if s.get("compare_sort") not in ["", *chosen]:
        s["compare_sort"] = ""
    cols = st.columns([3, 1])
    with cols[0]:
        sort_by: str = state.bound(
            st.selectbox,
            t("sort_by", lang),
            "compare_sort",
            options=["", *chosen],
            format_func=lambda i: (
                t("catalog_order", lang) if not i else indicator_label(results, i, lang)
            ),
        )
    with cols[1]:
        st.write("")
        descending = st.toggle(t("descending", lang), value=True, key="compare_desc")
    return chosen, sort_by, descending


def _table_tab(results: Results, comp: compare.Comparison, year: int, lang: str) -> None:
    table = compare.display_table(results, comp, lang)
    styles = compare.cell_styles(comp, lang)
    st.dataframe(
        table.style.apply(lambda _df: styles, axis=None),
        hide_index=True,
        width="stretch",
        height=36 * (len(table) + 1) + 4,
    )
    csv_download(
        compare.comparison_csv_frame(results, comp, lang),
        f"planungsraeume_vergleich_{year}",
        t("download_csv", lang),
        key="compare_csv",
    )


def _charts_tab(
    results: Results, comp: compare.Comparison, chosen: list[str], year: int, lang: str
) -> None:
    long = compare.long_frame(results, comp, lang)
    st.caption(t("city_line", lang))
    grid = list(st.columns(2))
    for n, ind_id in enumerate(chosen):
        ind = results.catalog[ind_id]
        frame = long[long["indicator"] == ind_id]
        with grid[n % 2]:
            st.altair_chart(
                _bar_chart(frame, ind.label(lang), ind.unit(lang), lang), width="stretch"
            )
    csv_download(
        long,
        f"planungsraeume_diagramme_{year}",
        t("download_chart_data", lang),
        key="compare_chart_csv",
    )


def _maps_tab(
    results: Results, comp: compare.Comparison, chosen: list[str], year: int, lang: str
) -> None:
    st.caption(t("small_maps_help", lang))
    areas = results.planning_areas_geo(year)
    small = [compare_maps.small_map(results, comp, i, lang, areas=areas) for i in chosen]
    grid = list(st.columns(3))
    for n, one in enumerate(small):
        with grid[n % 3]:
            st.markdown(one.svg, unsafe_allow_html=True)
            st.caption(one.caption)
    st.download_button(
        t("download_svg", lang),
        compare_maps.small_maps_html(small, year, lang).encode("utf-8"),
        file_name=f"planungsraeume_karten_{year}.html",
        mime="text/html",
        key="compare_maps_download",
    )


def render(results: Results) -> None:
    """Draw the page."""
    lang = state.language()
    st.header(t("page_compare", lang))
    st.caption(t("compare_intro", lang))
    controls = _controls(results, lang)
    if controls is None:
        return
    chosen, sort_by, descending = controls
    year = st.session_state["year"]
    comp = compare.comparison(results, year, chosen)
    if sort_by:
        comp = compare.sort_areas(comp, sort_by, descending=descending)
    tab_table, tab_charts, tab_maps = st.tabs(
        [t("table", lang), t("charts", lang), t("small_multiples", lang)]
    )
    with tab_table:
        _table_tab(results, comp, year, lang)
    with tab_charts:
        _charts_tab(results, comp, chosen, year, lang)
    with tab_maps:
        _maps_tab(results, comp, chosen, year, lang)
    regions_section.render(results, year, lang)
