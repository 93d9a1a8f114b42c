"""Page "Quartiersprofil": one quarter with key figures, age structure and accessibility."""

from __future__ import annotations

from typing import Literal, cast

import pandas as pd
import streamlit as st

from sqe_geo.i18n.formatting import format_number
from sqe_geo.outputs import origins_map, report_html
from sqe_geo.pipeline import Results
from sqe_geo.stats.aggregate import CITY_ID
from sqe_geo.ui import mapview, state
from sqe_geo.ui.texts import t

_DeltaColor = Literal["normal", "inverse", "off"]


def _city_delta(
    results: Results, fig: report_html.KeyFigure, year: int, lang: str
) -> tuple[str | None, _DeltaColor]:
    """Deviation from the city for st.metric (None for counts and missing values)."""
    ind = results.catalog[fig.indicator_id]
    if ind.is_count or fig.value is None:
        return None, "off"
    city = cast(float, results.values["city"].loc[(CITY_ID, year), fig.indicator_id])  # a value
    if pd.isna(city):
        return None, "off"
    delta = fig.value - float(city)
    colors: dict[str, _DeltaColor] = {"higher_is_worse": "inverse", "higher_is_better": "normal"}
    color = colors.get(ind.direction, "off")
    # st.metric reads the direction from a leading ASCII "-"
    text = f"{'+' if delta >= 0 else '-'}{format_number(abs(delta), ind.decimals, lang)} "
    return text + t("vs_city", lang), color


def _categories_by_label(results: Results, year: int, lang: str) -> dict[str, str]:
    """Tab label -> service category, for the categories with residents' distances."""
    distances = results.distances.get(year)
    if distances is None:
        return {}
    return {report_html.category_label(results, c, lang): c for c in distances.columns}


def _origins_map(results: Results, quarter: str, category: str, year: int, lang: str) -> None:
    st.markdown(f"**{t('origins_map', lang)}**", help=t("origins_help", lang))
    mapview.show_map(
        lambda: origins_map.origins_map(results, quarter, category, year, lang),
        key=f"origins_map_{category}",
        height=480,
        returned_objects=[],
    )


def render(results: Results) -> None:
    """Draw the page."""
    lang = state.language()
    s = st.session_state
    quarters = results.units["quarter"].sort_values("name")
    names = dict(zip(quarters["unit_id"], quarters["name"], strict=True))
    cols = st.columns([3, 1])
    with cols[0]:
        state.bound(
            st.selectbox,
            t("quarter", lang),
            "quarter",
            options=list(names),
            format_func=lambda q: names[q],
        )
    with cols[1]:
        state.bound(st.selectbox, t("year", lang), "year", options=results.years)
    quarter, year = s["quarter"], s["year"]
    profile = report_html.quarter_profile(results, quarter, year, lang)
    st.header(f"{t('page_profile', lang)}: {profile.name}")
    st.caption(f"{t('planning_area', lang)}: {profile.planning_area} · {t('year', lang)} {year}")

    st.subheader(t("key_figures", lang))
    grid = st.columns(4)
    for n, fig in enumerate(profile.key_figures):
        delta, color = _city_delta(results, fig, year, lang)
        with grid[n % 4]:
            st.metric(
                f"{fig.label} ({fig.unit})" if fig.unit else fig.label,
                fig.text,
                delta=delta,
                delta_color=color,
                help=results.catalog[fig.indicator_id].description(lang) or None,
            )

    left, right = st.columns([3, 2])
    with left:
        st.subheader(t("age_structure", lang))
        ages = profile.age_structure
        if len(ages):
            import altair as alt  # here: header and key figures are shown before this import

            group, persons, share = ages.columns
            chart = (
                alt.Chart(ages)
                .mark_bar(color="#fc8d59")
                .encode(
                    y=alt.Y(f"{group}:N", sort=None),
                    x=alt.X(f"{share}:Q"),
                    tooltip=[group, persons, share],
                )
                .properties(height=180)
            )
            st.altair_chart(chart, width="stretch")
    with right:
        st.subheader(t("location", lang))
        svg = report_html.location_svg(results, quarter, year, s.get("indicator"), width=320)
        st.markdown(svg, unsafe_allow_html=True)

    st.subheader(t("accessibility", lang))
    if profile.accessibility:
        # only the open tab runs its content (the map of residents' locations)
        tabs = st.tabs(list(profile.accessibility), key="profile_access_tab", on_change="rerun")
        categories = _categories_by_label(results, year, lang)
        for tab, (label, table) in zip(tabs, profile.accessibility.items(), strict=True):
            with tab:
                st.dataframe(table, hide_index=True, width="stretch")
                if label in categories and tab.open is not False:
                    _origins_map(results, quarter, categories[label], year, lang)
    else:
        st.info(t("no_accessibility", lang))

    st.subheader(t("comparison", lang))
    st.dataframe(
        profile.comparison,
        hide_index=True,
        width="stretch",
        height=36 * (len(profile.comparison) + 1) + 4,
    )

    report = report_html.profile_html(results, quarter, year, lang, indicator_id=s.get("indicator"))
    st.download_button(
        t("download_report", lang),
        report.encode("utf-8"),
        file_name=f"quartiersprofil_{quarter}_{year}.html",
        mime="text/html",
        key="download_profile",
        type="primary",
    )
