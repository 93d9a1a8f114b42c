"""Services from OpenStreetMap files (pyosmium): points per service category.

Reads ``.osm`` (XML), ``.osm.pbf`` and the other formats libosmium understands, in one
streaming pass (two for areas), and returns the services contract:
:func:`read_osm_services` finds the objects of each category by tag presets
(:func:`sqe_geo.io.osm_presets.load_osm_presets`: the package's ``presets/osm_services.toml``
merged with the study file's overrides). Nodes are used as they are; ways and multipolygon
relations by a representative point of their area (closed ways, relations) or line (open
ways). A feature matching two categories appears once per category; the category is part of
the id (``"care_home:w123"``). Objects that are one place are merged
(:mod:`sqe_geo.io.osm_merge`).

Quarters from OSM boundaries are read by :mod:`sqe_geo.io.osm_boundaries`, the JSON place
list by :mod:`sqe_geo.io.osm_json`. All results are in EPSG:4326; the caller reprojects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import osmium
import pandas as pd
import shapely

from sqe_geo._errors import InputDataError, StudyConfigError
from sqe_geo.i18n.messages import Message
from sqe_geo.io.osm_merge import merge_same_place
from sqe_geo.io.osm_presets import load_osm_presets, parse_capacity
from sqe_geo.quality import QualityReport

__all__ = ["check_osm_path", "read_osm_services", "wkb_or_none"]

SERVICE_COLUMNS = ["service_id", "category", "name", "capacity", "geometry"]
_OSM_TYPE = {"n": "node", "w": "way", "r": "relation"}
_FRAME_COLUMNS = ["service_id", "category", "name", "capacity_raw", "osm_type", "osm_id"]
_FRAME_COLUMNS += ["osm_tag", "wkb"]


def check_osm_path(path: Path) -> None:
    """Refuse a missing OSM file with a message naming the fix."""
    if not path.is_file():
        raise InputDataError(Message("io.osm.not_found", path=str(path)))


def _matcher(
    presets: Mapping[str, Mapping[str, Any]],
) -> dict[str, list[tuple[str, frozenset[str] | None]]]:
    index: dict[str, list[tuple[str, frozenset[str] | None]]] = {}
    for category, entry in presets.items():
        for key, vals in entry["tags"].items():
            wildcard = "*" in vals
            index.setdefault(key, []).append((category, None if wildcard else frozenset(vals)))
    return index


def _categories(
    tags: osmium.osm.TagList, index: Mapping[str, list[tuple[str, frozenset[str] | None]]]
) -> dict[str, str]:
    """Category → the first matching ``key=value`` for one OSM object."""
    found: dict[str, str] = {}
    for key, rules in index.items():
        value = tags.get(key)
        if value is None:
            continue
        for category, allowed in rules:
            if category in found:
                continue
            if (allowed is None and value != "no") or (allowed is not None and value in allowed):
                found[category] = f"{key}={value}"
    return found


def wkb_or_none(factory: osmium.geom.WKBFactory, obj: Any, kind: str) -> str | None:
    """The WKB of an area (``kind="area"``) or line; ``None`` when it cannot be built."""
    try:
        if kind == "area":
            return factory.create_multipolygon(obj)
        return factory.create_linestring(obj)
    except (osmium.InvalidLocationError, RuntimeError):
        return None


Index = Mapping[str, list[tuple[str, frozenset[str] | None]]]


@dataclass
class _Collector:
    """The matching objects of one pass over an OSM file, keyed by (type letter, id)."""

    presets: Mapping[str, Mapping[str, Any]]
    index: Index
    factory: osmium.geom.WKBFactory = field(default_factory=osmium.geom.WKBFactory)
    records: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    pending_ways: set[int] = field(default_factory=set)
    pending_rels: set[int] = field(default_factory=set)

    def remember(self, kind: str, obj: Any, cats: dict[str, str], geom: str | None) -> None:
        tags = obj.tags
        self.records[(kind, obj.id)] = {
            "cats": cats,
            "name": tags.get("name", ""),
            "capacity_raw": {
                c: next((tags.get(t) for t in self.presets[c]["capacity_tags"] if t in tags), None)
                for c in cats
            },
            "wkb": geom,
        }

    def area(self, obj: osmium.osm.Area) -> None:
        """Give a closed way or relation seen before the geometry of its area."""
        kind = "w" if obj.from_way() else "r"
        oid = obj.orig_id()
        pending = self.pending_ways if kind == "w" else self.pending_rels
        if oid in pending:
            wkb = wkb_or_none(self.factory, obj, "area")
            if wkb is not None:
                self.records[(kind, oid)]["wkb"] = wkb
                pending.discard(oid)

    def add(self, obj: Any) -> None:
        """Remember a node, way or relation that matches a category."""
        if isinstance(obj, osmium.osm.Area):
            self.area(obj)
            return
        cats = _categories(obj.tags, self.index)
        if not cats:
            return
        # isinstance instead of obj.is_node() etc. (same test) so that mypy narrows the type.
        if isinstance(obj, osmium.osm.Node):
            loc = obj.location
            self.remember("n", obj, cats, self.factory.create_point(loc) if loc.valid() else None)
        elif isinstance(obj, osmium.osm.Way):
            self.remember("w", obj, cats, wkb_or_none(self.factory, obj, "line"))
            if obj.is_closed() and len(obj.nodes) >= 4:
                self.pending_ways.add(obj.id)
        elif isinstance(obj, osmium.osm.Relation):
            self.remember("r", obj, cats, None)
            self.pending_rels.add(obj.id)

    def frame(self) -> tuple[pd.DataFrame, list[str]]:
        """One row per object and category; the objects without geometry."""
        rows: list[dict[str, Any]] = []
        no_geom: list[str] = []
        for (kind, oid), rec in sorted(self.records.items()):
            if rec["wkb"] is None:
                no_geom.append(f"{kind}{oid} ({', '.join(rec['cats'].values())})")
                continue
            rows += [
                {
                    "service_id": f"{cat}:{kind}{oid}",
                    "category": cat,
                    "name": rec["name"],
                    "capacity_raw": rec["capacity_raw"][cat],
                    "osm_type": _OSM_TYPE[kind],
                    "osm_id": oid,
                    "osm_tag": tag,
                    "wkb": rec["wkb"],
                }
                for cat, tag in rec["cats"].items()
            ]
        return pd.DataFrame(rows, columns=_FRAME_COLUMNS), no_geom

    def fallback(self) -> list[str]:
        """Closed ways whose area could not be built (their line is used)."""
        ways = self.pending_ways
        return sorted(f"w{i}" for i in ways if self.records[("w", i)]["wkb"] is not None)


def _select(
    presets: dict[str, dict[str, Any]], categories: Iterable[str] | None
) -> dict[str, dict[str, Any]]:
    if categories is None:
        return presets
    wanted = list(categories)
    unknown = [c for c in wanted if c not in presets]
    if unknown:
        raise StudyConfigError(
            Message(
                "io.osm.unknown_categories",
                categories=", ".join(unknown),
                known=", ".join(presets),
            )
        )
    return {c: presets[c] for c in wanted}


def read_osm_services(
    path: str | Path,
    *,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    categories: Iterable[str] | None = None,
    report: QualityReport | None = None,
    layer: str = "services",
) -> gpd.GeoDataFrame:
    """Read service points per category from an OSM file.

    Parameters
    ----------
    path
        ``.osm``, ``.osm.pbf`` (or ``.osm.bz2``/``.osm.gz``) file.
    overrides
        Study-file preset overrides, see :func:`~sqe_geo.io.osm_presets.load_osm_presets`.
    categories
        Only these categories (default: all presets).
    report
        Receives ``osm_capacity_interpreted`` (info), ``osm_capacity_invalid`` (warning;
        capacity NaN), ``osm_capacity_missing`` (info, per category with capacity tags),
        ``osm_geometry_missing`` (matched objects dropped because node locations are missing
        from the extract or a relation is not a valid multipolygon) and
        ``osm_area_fallback`` (closed ways whose area could not be built; the line is used).
    layer
        Layer name for the findings.

    Returns
    -------
    geopandas.GeoDataFrame
        ``service_id`` (``"<category>:<n|w|r><osm id>"``), ``category``, ``name`` (``""`` when
        untagged), ``capacity`` (float, NaN unless a capacity tag is given), ``osm_type``,
        ``osm_id``, ``osm_tag`` (the matching ``key=value``), geometry (points), EPSG:4326;
        sorted by category and id.

    Raises
    ------
    InputDataError
        If the file is missing or cannot be read by libosmium.
    StudyConfigError
        If ``overrides`` is invalid or ``categories`` names an unknown category.
    """
    path = Path(path)
    check_osm_path(path)
    presets = _select(load_osm_presets(overrides), categories)
    index = _matcher(presets)
    keys = list(index)
    collector = _Collector(presets, index)
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_areas(osmium.filter.KeyFilter(*keys))
            .with_filter(osmium.filter.KeyFilter(*keys))
        )
        for obj in processor:
            collector.add(obj)
    except RuntimeError as exc:
        raise InputDataError(Message("io.osm.unreadable", path=str(path), detail=str(exc))) from exc

    frame, no_geom = collector.frame()
    geoms = shapely.point_on_surface(shapely.from_wkb(frame["wkb"].to_numpy(dtype=object)))
    capacity, status = parse_capacity(frame["capacity_raw"])
    has_cap_tags = frame["category"].map(lambda c: bool(presets[c]["capacity_tags"]))
    capacity = capacity.where(has_cap_tags)

    if report is not None:
        _report_capacity(report, layer, path.name, frame, status, has_cap_tags)
        _report_geometry(report, layer, path.name, no_geom, collector.fallback())
    out = gpd.GeoDataFrame(
        {
            "service_id": frame["service_id"].astype(str),
            "category": frame["category"].astype(str),
            "name": frame["name"].astype(str),
            "capacity": capacity.astype(float),
            "osm_type": frame["osm_type"].astype(str),
            "osm_id": frame["osm_id"].astype("int64"),
            "osm_tag": frame["osm_tag"].astype(str),
        },
        geometry=gpd.GeoSeries(geoms, index=frame.index),
        crs="EPSG:4326",
    )
    out = out.sort_values(["category", "service_id"], kind="stable").reset_index(drop=True)
    merge_m = {c: float(presets[c]["merge_m"]) for c in presets}
    return merge_same_place(out, merge_m, report=report, layer=layer, source=path.name)


def _report_geometry(
    report: QualityReport, layer: str, name: str, no_geom: list[str], fallback: list[str]
) -> None:
    if no_geom:
        report.add(
            "osm_geometry_missing",
            layer,
            Message("io.osm.geometry_missing", name=name, n=len(no_geom)),
            items=no_geom,
        )
    if fallback:
        report.add(
            "osm_area_fallback",
            layer,
            Message("io.osm.area_fallback", name=name, n=len(fallback)),
            severity="info",
            items=fallback,
        )


def _report_capacity(
    report: QualityReport,
    layer: str,
    source: str,
    frame: pd.DataFrame,
    status: pd.Series,
    has_cap_tags: pd.Series,
) -> None:
    def items(mask: pd.Series) -> list[str]:
        return [
            f"{sid} capacity={raw!r}"
            for sid, raw in zip(frame["service_id"][mask], frame["capacity_raw"][mask], strict=True)
        ]

    interpreted = has_cap_tags & (status == "interpreted")
    invalid = has_cap_tags & (status == "invalid")
    missing = has_cap_tags & (status == "missing")
    if interpreted.any():
        report.add(
            "osm_capacity_interpreted",
            layer,
            Message("io.osm.capacity_interpreted", source=source, n=int(interpreted.sum())),
            severity="info",
            items=items(interpreted),
        )
    if invalid.any():
        report.add(
            "osm_capacity_invalid",
            layer,
            Message("io.osm.capacity_invalid", source=source, n=int(invalid.sum())),
            items=items(invalid),
        )
    if missing.any():
        per_cat = frame.loc[missing, "category"].value_counts()
        report.add(
            "osm_capacity_missing",
            layer,
            Message(
                "io.osm.capacity_missing",
                source=source,
                n=int(missing.sum()),
                per_category=", ".join(f"{c}: {n}" for c, n in per_cat.items()),
            ),
            severity="info",
            items=frame.loc[missing, "service_id"],
        )
