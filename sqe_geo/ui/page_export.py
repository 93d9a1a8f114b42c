"""Page "Export": indicator tables and maps as files (builders live in sqe_geo.outputs.export)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pandas as pd
import streamlit as st

from sqe_geo.outputs import maps
from sqe_geo.pipeline import Results
from sqe_geo.stats.aggregate import LEVEL_LABELS, LEVELS
from sqe_geo.ui import state
from sqe_geo.ui.texts import t

FORMATS = ("csv_de", "csv", "xlsx", "gpkg", "geojson", "map")
MIME = {
    "csv_de": "text/csv",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "gpkg": "application/geopackage+sqlite3",
    "geojson": "application/geo+json",
    "map": "text/html",
}
_STEMS = {"quarter": "quartiere", "planning_area": "planungsraeume", "city": "stadt"}


def _export_module() -> ModuleType | None:
    try:
        return importlib.import_module("sqe_geo.outputs.export")
    except ImportError:
        return None


def csv_download(frame: pd.DataFrame, stem: str, label: str, *, key: str) -> None:
    """A download button for a table as German CSV (English CSV in the English UI)."""
    german = state.language() == "de"
    export = _export_module()
    if export is not None:
        data = export.csv_bytes(frame, german=german)
    elif german:
        data = frame.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")
    else:
        data = frame.to_csv(index=False).encode("utf-8")
    st.download_button(label, data, file_name=f"{stem}.csv", mime="text/csv", key=key)


@dataclass(frozen=True)
class ExportRequest:
    """What the export page asks for.

    Attributes
    ----------
    level
        ``"quarter"``, ``"planning_area"`` or ``"city"``.
    indicators, years
        The chosen indicators and years.
    language
        Language of labels (``"de"`` or ``"en"``).
    scheme, k, map_indicator
        Classification, number of classes and indicator of the HTML map.
    """

    level: str
    indicators: list[str]
    years: list[int]
    language: str
    scheme: str = "quantiles"
    k: int = 5
    map_indicator: str | None = None


def build_file(results: Results, fmt: str, request: ExportRequest) -> tuple[str, bytes, str]:
    """(file name, bytes, MIME type) of one export."""
    level, indicators, years = request.level, request.indicators, request.years
    language, scheme, k = request.language, request.scheme, request.k
    map_indicator = request.map_indicator
    # Any: None is ruled out for every format but "map", which does not use it
    export: Any = _export_module()
    if export is None and fmt != "map":
        raise RuntimeError("sqe_geo.outputs.export is not available")
    year = max(years)
    stem = _STEMS[level]
    if fmt in ("csv_de", "csv"):
        german = fmt == "csv_de"
        table = export.export_table(
            results,
            level,
            years=years,
            indicators=indicators,
            language="de" if german else language,
            **({} if german else {"labels": False, "withheld": None}),
        )
        return f"{stem}.csv", export.csv_bytes(table, german=german), MIME[fmt]
    if fmt == "xlsx":
        data = export.xlsx_bytes(results, years=years, indicators=indicators, language=language)
        return "sqe_indikatoren.xlsx", data, MIME[fmt]
    if fmt == "gpkg":
        data = export.gpkg_bytes(results, year=year, indicators=indicators)
        return f"sqe_indikatoren_{year}.gpkg", data, MIME[fmt]
    if fmt == "geojson":
        geo_level = "quarter" if level == "city" else level
        data = export.geojson_bytes(results, level=geo_level, year=year, indicators=indicators)
        return f"{_STEMS[geo_level]}_{year}.geojson", data, MIME[fmt]
    ind = map_indicator or indicators[0]
    fmap = maps.choropleth(
        results,
        ind,
        year,
        scheme=scheme,
        k=k,
        language=language,
        base=maps.BaseMap(title=maps.map_title(results, ind, year, language)),
    )
    return f"karte_{ind}_{year}.html", maps.map_html(fmap), MIME["map"]


def _size(n: int) -> str:
    return f"{n / 1024:,.0f} KB" if n < 1024**2 else f"{n / 1024**2:,.1f} MB"


def render(results: Results) -> None:
    """Draw the page."""
    lang = state.language()
    s = st.session_state
    st.header(t("page_export", lang))
    st.caption(t("export_intro", lang))
    if _export_module() is None:
        st.warning(t("no_export_module", lang))
    level = st.radio(
        t("level", lang),
        list(LEVELS),
        format_func=lambda lv: LEVEL_LABELS[lang][lv],
        horizontal=True,
        key="export_level",
    )
    ids = state.ordered_indicators(results)
    from sqe_geo.ui.page_map import indicator_label

    indicators = st.multiselect(
        t("indicators", lang),
        ids,
        default=ids,
        key="export_indicators",
        placeholder=t("choose_options", lang),
        format_func=lambda i: indicator_label(results, i, lang),
    )
    years = st.multiselect(
        t("years", lang),
        results.years,
        default=results.years,
        key="export_years",
        placeholder=t("choose_options", lang),
    )
    fmt = st.radio(
        t("format", lang),
        list(FORMATS),
        format_func=lambda f: t(f"fmt_{f}", lang),
        key="export_format",
    )
    if years and fmt in ("gpkg", "geojson", "map"):
        st.caption(t("one_year", lang, year=max(years)))
    if not indicators or not years:
        st.info(t("pick_one", lang))
        return
    wanted = (level, tuple(indicators), tuple(years), fmt, lang, s["scheme"], s["k"])
    if s.get("export_key") != wanted:
        s.pop("export_file", None)  # made with other settings
    if st.button(t("create_file", lang), key="export_create", type="primary"):
        with st.spinner(t("working", lang)):
            s["export_key"] = wanted
            request = ExportRequest(
                level=level,
                indicators=indicators,
                years=years,
                language=lang,
                scheme=s["scheme"],
                k=s["k"],
                map_indicator=s["indicator"],
            )
            s["export_file"] = build_file(results, fmt, request)
    ready = s.get("export_file")
    if ready:
        name, data, mime = ready
        st.success(t("file_ready", lang, name=name, size=_size(len(data))))
        st.download_button(
            t("download_file", lang), data, file_name=name, mime=mime, key="export_download"
        )
