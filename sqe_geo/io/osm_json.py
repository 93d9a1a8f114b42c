"""Services from the JSON place list used by several Karlsruhe open-data projects.

The format is a list of objects ``[{"id", "name", "category", "subcategory", "lat", "lon",
...}]``; :func:`read_service_list_json` maps each record's ``subcategory`` (or ``category``)
to a service category and returns the services contract in EPSG:4326.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from sqe_geo._errors import InputDataError
from sqe_geo.i18n.messages import Message
from sqe_geo.io.osm_presets import parse_capacity
from sqe_geo.quality import QualityReport

__all__ = ["DEFAULT_JSON_CATEGORIES", "read_service_list_json"]

#: ``subcategory`` (or ``category``) value of the JSON list format → service category.
DEFAULT_JSON_CATEGORIES: dict[str, str] = {
    "supermarket": "food",
    "convenience": "food",
    "greengrocer": "food",
    "bakery": "food",
    "butcher": "food",
    "marketplace": "marketplace",
    "pharmacy": "pharmacy",
    "doctors": "gp",
    "bus_stop": "transit_stop",
    "tram_stop": "transit_stop",
    "community_centre": "meeting_place",
    "social_centre": "meeting_place",
    "nursing_home": "care_home",
    "bench": "bench",
    "park": "park",
}


def _id_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _load_records(path: Path) -> list[dict[str, Any]]:
    """The JSON list of objects in ``path``."""
    if not path.is_file():
        raise InputDataError(Message("io.osm_json.not_found", path=str(path)))
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputDataError(
            Message("io.osm_json.invalid_json", path=str(path), detail=str(exc))
        ) from exc
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise InputDataError(Message("io.osm_json.not_a_list", path=str(path)))
    return data


def read_service_list_json(
    path: str | Path,
    *,
    categories: Mapping[str, str] | None = None,
    category_field: str = "subcategory",
    report: QualityReport | None = None,
    layer: str = "services",
) -> gpd.GeoDataFrame:
    """Read a JSON list of places (``[{"id", "name", "subcategory", "lat", "lon"}, …]``).

    Parameters
    ----------
    path
        JSON file whose top level is a list of objects.
    categories
        Value of ``category_field`` → service category (default
        :data:`DEFAULT_JSON_CATEGORIES`). Records with other values are not used.
    category_field
        Field holding the value looked up in ``categories`` (``"subcategory"`` or
        ``"category"``).
    report
        Receives ``json_records_not_used`` (info: counts per unmapped value),
        ``json_invalid_coordinates`` (records without valid lat/lon; dropped),
        ``json_missing_ids`` (info: position used as id) and ``duplicate_service_ids``
        (repeated ids within a category; the first is kept).
    layer
        Layer name for the findings.

    Returns
    -------
    geopandas.GeoDataFrame
        Services contract: ``service_id`` (``"<category>:<id>"``), ``category``, ``name``,
        ``capacity`` (NaN, or the ``capacity`` field when numeric), ``source_category``,
        geometry points, EPSG:4326.

    Raises
    ------
    InputDataError
        If the file is missing, not JSON or not a list of objects.
    """
    path = Path(path)
    mapping = dict(DEFAULT_JSON_CATEGORIES if categories is None else categories)
    frame = pd.DataFrame.from_records(_load_records(path))
    for col in ("id", "name", category_field, "lat", "lon", "capacity"):
        if col not in frame.columns:
            frame[col] = None
    source_cat = frame[category_field].astype("string").str.strip()
    category = source_cat.map(mapping)
    used = category.notna().to_numpy()
    lat = pd.to_numeric(frame["lat"], errors="coerce")
    lon = pd.to_numeric(frame["lon"], errors="coerce")
    coord_ok = (lat.between(-90, 90) & lon.between(-180, 180)).to_numpy()
    ids = frame["id"].map(_id_text)
    no_id = ids.isna().to_numpy()
    ids = ids.where(~no_id, pd.Series([f"#{i}" for i in range(len(frame))], index=frame.index))
    capacity, cap_status = parse_capacity(frame["capacity"].map(_id_text))
    if report is not None:
        _report_records(
            report, layer, path.name, category_field, source_cat[~used], ids, used & ~coord_ok
        )
        _report_ids_and_capacity(
            report,
            layer,
            path.name,
            ids,
            frame["capacity"],
            used & no_id,
            used & (cap_status == "invalid").to_numpy(),
        )
    keep = used & coord_ok
    out = pd.DataFrame(
        {
            "service_id": (category[keep] + ":" + ids[keep].astype("string")).astype(str),
            "category": category[keep].astype(str),
            "name": frame["name"][keep].fillna("").astype(str),
            "capacity": capacity[keep].astype(float),
            "source_category": source_cat[keep].astype(str),
        }
    )
    dup = out["service_id"].duplicated(keep="first")
    if dup.any():
        if report is not None:
            report.add(
                "duplicate_service_ids",
                layer,
                Message("io.osm_json.duplicate_ids", name=path.name, n=int(dup.sum())),
                items=out.loc[dup, "service_id"],
            )
        out = out.loc[~dup]
    geometry = gpd.points_from_xy(lon[keep][~dup.to_numpy()], lat[keep][~dup.to_numpy()])
    gdf = gpd.GeoDataFrame(out, geometry=geometry, crs="EPSG:4326")
    return gdf.sort_values(["category", "service_id"], kind="stable").reset_index(drop=True)


def _report_records(
    report: QualityReport,
    layer: str,
    name: str,
    category_field: str,
    unused_categories: pd.Series,
    ids: pd.Series,
    bad_coordinates: np.ndarray,
) -> None:
    """Findings on records not used: unknown category, no valid coordinates."""
    unused = unused_categories.fillna("<none>").value_counts()
    if len(unused):
        n = len(unused_categories)
        report.add(
            "json_records_not_used",
            layer,
            Message("io.osm_json.records_not_used", name=name, n=n, field=category_field),
            severity="info",
            items=[f"{k}: {c}" for k, c in unused.items()],
            count=n,
        )
    if bad_coordinates.any():
        report.add(
            "json_invalid_coordinates",
            layer,
            Message("io.osm_json.invalid_coordinates", name=name, n=int(bad_coordinates.sum())),
            items=ids[bad_coordinates],
        )


def _report_ids_and_capacity(
    report: QualityReport,
    layer: str,
    name: str,
    ids: pd.Series,
    capacities: pd.Series,
    no_id: np.ndarray,
    bad_capacity: np.ndarray,
) -> None:
    """Findings on used records: no id (position used), capacity not a number."""
    if no_id.any():
        report.add(
            "json_missing_ids",
            layer,
            Message("io.osm_json.missing_ids", name=name, n=int(no_id.sum())),
            severity="info",
            items=ids[no_id],
        )
    if bad_capacity.any():
        report.add(
            "json_capacity_invalid",
            layer,
            Message("io.osm_json.capacity_invalid", name=name, n=int(bad_capacity.sum())),
            items=[
                f"{i} capacity={c!r}"
                for i, c in zip(ids[bad_capacity], capacities[bad_capacity], strict=True)
            ],
        )
