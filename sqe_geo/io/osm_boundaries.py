"""Quarters from OpenStreetMap: ``boundary=administrative`` areas of given admin levels.

:func:`read_osm_boundaries` reads the boundary relations (and closed ways) of an OSM file in
one streaming pass (pyosmium assembles the areas) and returns the quarters contract in
EPSG:4326; the caller reprojects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import osmium
import pandas as pd
import shapely

from sqe_geo._errors import InputDataError
from sqe_geo.i18n.messages import Message
from sqe_geo.io.osm import check_osm_path, wkb_or_none
from sqe_geo.quality import QualityReport

__all__ = ["read_osm_boundaries"]


@dataclass
class _Boundaries:
    """What one pass over the file found."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    wanted_rels: dict[int, str] = field(default_factory=dict)  # relation id → name
    unnamed_ways: list[str] = field(default_factory=list)


def _collect(path: Path, levels: set[str], id_tag: str) -> _Boundaries:
    found = _Boundaries()
    factory = osmium.geom.WKBFactory()

    def is_wanted(tags: osmium.osm.TagList) -> bool:
        return tags.get("boundary") == "administrative" and tags.get("admin_level") in levels

    try:
        tag_filter = osmium.filter.TagFilter(("boundary", "administrative"))
        processor = (
            osmium.FileProcessor(str(path))
            .with_areas(osmium.filter.TagFilter(("boundary", "administrative")))
            .with_filter(tag_filter)
        )
        for obj in processor:
            # isinstance instead of obj.is_relation() etc. (same test) so that mypy narrows.
            if isinstance(obj, osmium.osm.Relation) and is_wanted(obj.tags):
                found.wanted_rels[obj.id] = obj.tags.get("name") or ""
            if not isinstance(obj, osmium.osm.Area) or not is_wanted(obj.tags):
                continue
            kind = "way" if obj.from_way() else "relation"
            name = obj.tags.get("name", "")
            if kind == "way" and not name:
                # Member ways of boundary relations carry the same tags; an unnamed closed
                # one is almost always such a member, not a quarter of its own.
                found.unnamed_ways.append(f"w{obj.orig_id()}")
                continue
            wkb = wkb_or_none(factory, obj, "area")
            if wkb is None:
                continue
            found.rows.append(
                {
                    "ref": (obj.tags.get(id_tag) or "").strip(),
                    "name": name,
                    "admin_level": int(obj.tags["admin_level"]),  # present: is_wanted
                    "osm_type": kind,
                    "osm_id": obj.orig_id(),
                    "wkb": wkb,
                }
            )
    except RuntimeError as exc:
        raise InputDataError(
            Message("io.osm.unreadable_boundaries", path=str(path), detail=str(exc))
        ) from exc
    return found


def read_osm_boundaries(
    path: str | Path,
    *,
    admin_level: int | Iterable[int] = 9,
    id_tag: str = "ref",
    report: QualityReport | None = None,
    layer: str = "quarters",
) -> gpd.GeoDataFrame:
    """Read ``boundary=administrative`` areas of given admin levels as quarters.

    Parameters
    ----------
    path
        OSM file holding the boundary relations (or closed ways) *and* their member ways and
        nodes.
    admin_level
        Level(s) to keep; Karlsruhe's Stadtteile are level 9 in OSM, Stadtbezirke/other
        cities' quarters often 10.
    id_tag
        Tag used as ``quarter_id`` when every boundary has a distinct value.
    report
        Receives ``osm_boundary_not_assembled`` (boundaries whose polygon could not be built;
        dropped), ``osm_boundary_unnamed`` and ``quarter_ids_ordinal`` (info: ids were
        numbered ``01``, ``02``, … in name order because ``id_tag`` is missing or repeated).
    layer
        Layer name for the findings.

    Returns
    -------
    geopandas.GeoDataFrame
        ``quarter_id`` (str), ``name``, ``admin_level`` (int), ``osm_type``, ``osm_id`` and a
        MultiPolygon geometry in EPSG:4326, sorted by ``quarter_id``.

    Raises
    ------
    InputDataError
        If the file is missing/unreadable or holds no boundary of the requested levels.
    """
    path = Path(path)
    check_osm_path(path)
    levels = {str(admin_level)} if isinstance(admin_level, int) else {str(x) for x in admin_level}
    found = _collect(path, levels, id_tag)
    rows = found.rows
    built = {r["osm_id"] for r in rows if r["osm_type"] == "relation"}
    broken = [f"r{i} {n}".strip() for i, n in sorted(found.wanted_rels.items()) if i not in built]
    if broken and report is not None:
        report.add(
            "osm_boundary_not_assembled",
            layer,
            Message("io.osm.boundary_not_assembled", name=path.name, n=len(broken)),
            severity="error",
            items=broken,
        )
    if not rows:
        raise InputDataError(
            Message("io.osm.no_boundary", path=str(path), levels="/".join(sorted(levels)))
        )
    frame = pd.DataFrame(rows)
    unnamed = frame["name"] == ""
    if unnamed.any() and report is not None:
        report.add(
            "osm_boundary_unnamed",
            layer,
            Message("io.osm.boundary_unnamed", name=path.name, n=int(unnamed.sum())),
            items=[f"r{i}" for i in frame.loc[unnamed, "osm_id"]],
        )
    _assign_quarter_ids(frame, id_tag, report, layer, path.name)
    if found.unnamed_ways and report is not None:
        report.add(
            "osm_boundary_unnamed_ways_ignored",
            layer,
            Message("io.osm.unnamed_ways_ignored", name=path.name, n=len(found.unnamed_ways)),
            severity="info",
            items=found.unnamed_ways,
        )
    geoms = shapely.from_wkb(frame["wkb"].to_numpy(dtype=object))
    out = gpd.GeoDataFrame(
        {
            "quarter_id": frame["quarter_id"].astype(str),
            "name": frame["name"].astype(str),
            "admin_level": frame["admin_level"].astype("int64"),
            "osm_type": frame["osm_type"].astype(str),
            "osm_id": frame["osm_id"].astype("int64"),
        },
        geometry=gpd.GeoSeries(geoms, index=frame.index),
        crs="EPSG:4326",
    )
    return out.sort_values("quarter_id", kind="stable").reset_index(drop=True)


def _assign_quarter_ids(
    frame: pd.DataFrame, id_tag: str, report: QualityReport | None, layer: str, name: str
) -> None:
    """``quarter_id`` from ``id_tag`` when distinct, else numbered in name order (reported)."""
    refs = frame["ref"]
    if (refs != "").all() and refs.is_unique:
        frame["quarter_id"] = refs
        return
    order = frame.sort_values(["name", "osm_id"], kind="stable").index
    width = max(2, len(str(len(frame))))
    frame.loc[order, "quarter_id"] = [f"{i:0{width}d}" for i in range(1, len(frame) + 1)]
    if report is None:
        return
    missing = int((refs == "").sum())
    reason = (
        Message("io.osm.ids_reason_missing", n=missing, tag=id_tag)
        if missing
        else Message("io.osm.ids_reason_repeated", tag=id_tag)
    )
    report.add(
        "quarter_ids_ordinal",
        layer,
        Message("io.osm.quarter_ids_ordinal", name=name, reason=reason),
        severity="info",
        items=[f"{q} {n}" for q, n in zip(frame["quarter_id"], frame["name"], strict=True)],
    )
