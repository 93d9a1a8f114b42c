"""The quarters of a map as data: values, reasons, tooltip texts and ranks (no folium here).

:func:`quarter_layer` is what the choropleth draws; :func:`value_text` formats one value as
the app and the maps show it, with the reason where it has none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sqe_geo.i18n.formatting import WITHHELD_MARK, format_number
from sqe_geo.i18n.messages import as_language, text
from sqe_geo.outputs.classify import ranks
from sqe_geo.stats.indicators import Indicator
from sqe_geo.stats.status import (
    APPROXIMATION,
    BASE_YEAR,
    NOT_COMPUTED_MARK,
    NOT_COMPUTED_REASONS,
    NOT_MEANINGFUL_MARK,
    PARTIAL,
    status_label,
)

if TYPE_CHECKING:
    from sqe_geo.results import Results


def to_web(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` in EPSG:4326 (longitude, latitude) for web maps; unchanged when it is already."""
    return frame.to_crs(4326) if frame.crs is not None and frame.crs.to_epsg() != 4326 else frame


def points_geojson(frame: gpd.GeoDataFrame, columns: list[str], digits: int = 6) -> dict[str, Any]:
    """Points as a GeoJSON FeatureCollection with the given property columns.

    Coordinates are rounded to ``digits`` decimals (6 decimals of a degree ≈ 0.1 m), which
    keeps maps with thousands of points small; faster than ``GeoDataFrame.to_json``.
    """
    web = to_web(frame)
    xs = np.round(shapely.get_x(web.geometry.values), digits).tolist()
    ys = np.round(shapely.get_y(web.geometry.values), digits).tolist()
    records = web[columns].to_dict("records") if columns else [{}] * len(web)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "Point", "coordinates": [x, y]},
            }
            for props, x, y in zip(records, xs, ys, strict=True)
        ],
    }


def value_text(
    value: object,
    ind: Indicator,
    language: str = "de",
    *,
    withheld: bool = False,
    status: str = "",
    marks: bool = False,
) -> str:
    """One value as the app and the maps show it, with the reason where it has none.

    A not-computed value shows "nicht berechnet (Grund)" (with ``marks``: "n. b."), a
    withheld one "zurückgehalten" (``marks``: "."); it has no number either way, and the
    not-computed reason wins. Partial and approximate values get their note appended.
    """
    if status == BASE_YEAR:  # a change has nothing to compare with in its base year
        return NOT_MEANINGFUL_MARK if marks else status_label(status, language)
    if status in NOT_COMPUTED_REASONS:
        if marks:
            return NOT_COMPUTED_MARK[as_language(language)]
        return status_label(status, language)
    if withheld:
        return WITHHELD_MARK if marks else text("outputs.map.suppressed", language)
    number = format_number(value, ind.decimals, language)
    if not number:
        return "–" if marks else text("outputs.map.missing", language)
    out = f"{number} {ind.unit(language)}".strip()
    if status in (PARTIAL, APPROXIMATION) and not marks:
        out += f" ({status_label(status, language)})"
    return out


def distance_method(results: Results) -> str:
    """The distance method of a run ("Luftlinie × Umwegfaktor (1,3)"), "" without one."""
    return str(getattr(results, "parameters", {}).get("distance method", ""))


def quarter_layer(
    results: Results, indicator_id: str, year: int, language: str = "de"
) -> gpd.GeoDataFrame:
    """Quarters in EPSG:4326 with the display columns of the map.

    Columns: ``unit_id``, ``name``, ``planning_area``, ``value`` (float), ``suppressed``
    (bool), ``status`` (reason code, ``""`` computed; see :mod:`sqe_geo.stats.status`),
    ``value_text`` (formatted with unit, or the reason it is empty), ``rank_text``.
    """
    ind: Indicator = results.catalog[indicator_id]
    geo = results.quarters_geo(year)
    mask = results.suppressed["quarter"]
    withheld = (
        mask[indicator_id].xs(year, level="year")
        if indicator_id in mask.columns
        else pd.Series(False, index=geo["unit_id"])
    )
    out = gpd.GeoDataFrame(
        {
            "unit_id": geo["unit_id"].astype(str),
            "name": geo["name"].astype(str),
            "planning_area": geo["planning_area"].astype(str),
            "value": pd.to_numeric(geo[indicator_id], errors="coerce").astype(float)
            if indicator_id in geo.columns
            else np.nan,
        },
        geometry=geo.geometry.values,
        crs=geo.crs,
    )
    out["suppressed"] = out["unit_id"].map(withheld.to_dict()).fillna(False).astype(bool)
    status = results.status_of("quarter") if hasattr(results, "status_of") else None
    if status is not None and indicator_id in status.columns:
        codes = status[indicator_id].xs(year, level="year")
        codes.index = codes.index.astype(str)
        out["status"] = out["unit_id"].map(codes.to_dict()).fillna("").astype(str)
    else:
        out["status"] = ""
    out.loc[out["suppressed"] | out["status"].isin(NOT_COMPUTED_REASONS), "value"] = np.nan
    rank = ranks(out["value"])
    n = int(out["value"].notna().sum())
    out["value_text"] = [
        value_text(r.value, ind, language, withheld=r.suppressed, status=r.status)
        for r in out.itertuples()
    ]
    out["rank_text"] = [
        "–" if pd.isna(r) else text("outputs.map.rank_of", language, rank=int(r), n=n) for r in rank
    ]
    return to_web(out)
