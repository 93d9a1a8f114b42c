"""The expander "Planungsräume neu zuschneiden" of the comparison page.

Thin: the proposal and the comparison come from :mod:`sqe_geo.regions` and
:mod:`sqe_geo.regions_compare`, the maps from :mod:`sqe_geo.outputs.region_maps`.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from sqe_geo._errors import MissingDependencyError, SqeGeoError
from sqe_geo.outputs.region_maps import areas_map
from sqe_geo.pipeline import Results
from sqe_geo.regions import METHODS, RegionRequest, propose_areas
from sqe_geo.regions_compare import AreaComparison, compare_areas, labelled, mapping_csv
from sqe_geo.ui import mapview
from sqe_geo.ui.texts import t

#: Session-state key of the last proposal: (request, comparison, mapping CSV).
PROPOSAL = "regions_proposal"


def _compute(results: Results, request: RegionRequest, lang: str) -> None:
    try:
        mapping = propose_areas(results, request, lang)
        comparison = compare_areas(results, mapping, year=request.year)
    except MissingDependencyError:
        st.info(t("regions.missing", lang))
        return
    except SqeGeoError as exc:
        st.error(str(exc))
        return
    st.session_state[PROPOSAL] = (request, comparison, mapping_csv(mapping))


def _show(comparison: AreaComparison, csv: bytes, lang: str) -> None:
    cols = st.columns(2)
    for col, scheme in zip(cols, ("current", "proposal"), strict=True):
        areas = comparison.areas[comparison.areas["scheme"] == scheme]
        shapes = comparison.geometry[comparison.geometry["scheme"] == scheme]
        with col:
            st.markdown(f"**{t(f'regions.{scheme}', lang)}**")
            mapview.show_map(
                partial(areas_map, shapes, areas, lang),
                key=f"regions_map_{scheme}",
                height=380,
                returned_objects=[],
            )
    st.markdown(f"**{t('regions.spread', lang)}**")
    st.dataframe(labelled(comparison.spread, lang), hide_index=True, width="stretch")
    st.markdown(f"**{t('regions.areas', lang)}**")
    st.dataframe(labelled(comparison.areas, lang), hide_index=True, width="stretch")
    st.download_button(
        t("regions.download", lang),
        csv,
        file_name="planungsraeume_vorschlag.csv",
        mime="text/csv",
        key="regions_download",
    )


def render(results: Results, year: int, lang: str) -> None:
    """Draw the expander: method, k, the proposal beside the current areas, the download."""
    with st.expander(t("regions.title", lang)):
        st.caption(t("regions.intro", lang))
        n_quarters = len(results.study.quarters)
        current = max(1, results.study.quarters["planning_area"].nunique())
        cols = st.columns([2, 1, 1])
        with cols[0]:
            method = st.selectbox(
                t("regions.method", lang),
                METHODS,
                format_func=lambda m: t(f"regions.method_{m}", lang),
                key="regions_method",
            )
        with cols[1]:
            k = st.number_input(
                t("regions.k", lang),
                min_value=1,
                max_value=n_quarters,
                value=min(current, n_quarters),
                step=1,
                key="regions_k",
            )
        with cols[2]:
            st.write("")
            clicked = st.button(t("regions.run", lang), key="regions_run")
        if clicked:
            _compute(results, RegionRequest(k=int(k), method=str(method), year=year), lang)
        shown = st.session_state.get(PROPOSAL)
        if shown is not None and shown[0].year == year:
            _show(shown[1], shown[2], lang)
