"""The accessibility surface on the page "Karte": a category, a measure, the classed cells
with a legend, and the GeoTIFF and GeoPackage downloads.

The surface is computed only when the planner switches it on (a few seconds per study,
then cached); it shows no residents, so it needs no disclosure control.
"""

from __future__ import annotations

import streamlit as st

from sqe_geo.i18n.formatting import format_number
from sqe_geo.outputs.report_html import category_label
from sqe_geo.outputs.surface_files import surface_bytes
from sqe_geo.outputs.surface_map import surface_map
from sqe_geo.pipeline import Results
from sqe_geo.surface import MEASURES, Surface, study_surface
from sqe_geo.ui import mapview, state
from sqe_geo.ui.texts import t


@st.cache_resource(show_spinner=False, max_entries=4)
def _surface(study_key: tuple[str, str | None]) -> Surface:
    """The accessibility surface of the study (all categories)."""
    return study_surface(state.compute_results(*study_key).study)


@st.cache_resource(show_spinner=False, max_entries=8)
def _file(study_key: tuple[str, str | None], suffix: str) -> bytes:
    return surface_bytes(_surface(study_key), f"erreichbarkeit{suffix}")


def surface_section(results: Results, lang: str) -> None:
    """Draw the section (nothing for a study without services)."""
    services = results.study.services
    if services is None or len(services) == 0:
        return
    with st.expander(t("surface.title", lang)):
        st.caption(t("surface.help", lang))
        if not st.toggle(t("surface.show", lang), key="surface_show"):
            return
        study_key = state.study_ref()
        with state.errors_shown(), st.spinner(t("surface.computing", lang)):
            surface = _surface(study_key)
        cols = st.columns([3, 2])
        with cols[0]:
            category = st.selectbox(
                t("surface.category", lang),
                options=surface.categories,
                format_func=lambda c: category_label(results, str(c), lang),
                key="surface_category",
            )
        with cols[1]:
            measure = st.radio(
                t("surface.measure", lang),
                options=list(MEASURES),
                format_func=lambda m: t(f"surface.{m}", lang),
                horizontal=True,
                key="surface_measure",
            )
        s = st.session_state
        label = category_label(results, str(category), lang)
        mapview.show_map(
            lambda: surface_map(
                surface,
                str(category),
                str(measure),
                category_label=label,
                quarters=results.study.quarters,
                scheme=s["scheme"],
                k=s["k"],
                language=lang,
            ),
            key="surface_map",
            height=480,
            returned_objects=[],
        )
        decay = results.study.config.accessibility.surface
        st.caption(
            t(
                "surface.note",
                lang,
                decay=t(f"surface.decay_{decay.decay}", lang),
                scale=f"{decay.scale_min:g}",
                reach=f"{decay.reach_min:g}",
                cells=format_number(len(surface.grid.cells), 0, lang),
            )
        )
        buttons = st.columns(2)
        for col, (suffix, mime) in zip(
            buttons, ((".tif", "image/tiff"), (".gpkg", "application/geopackage+sqlite3")),
            strict=True,
        ):  # fmt: skip
            with col:
                st.download_button(
                    t(f"surface.download{suffix.replace('.', '_')}", lang),
                    _file(study_key, suffix),
                    file_name=f"erreichbarkeit{suffix}",
                    mime=mime,
                    key=f"surface_download{suffix.replace('.', '_')}",
                )
