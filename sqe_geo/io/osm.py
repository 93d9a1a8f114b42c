"""Services and administrative boundaries from OpenStreetMap files (pyosmium).

Reads ``.osm`` (XML), ``.osm.pbf`` and the other formats libosmium understands, in one
streaming pass (two for areas), and returns the services and quarters contracts:

* :func:`read_osm_services` – points per service category from tag presets
  (:func:`load_osm_presets`: the package's ``presets/osm_services.toml`` merged with the
  study file's overrides). Nodes are used as they are; ways and multipolygon relations by a
  representative point of their area (closed ways, relations) or line (open ways). A feature
  matching two categories appears once per category; the category is part of the id
  (``"care_home:w123"``).
* :func:`read_osm_boundaries` – ``boundary=administrative`` areas of given admin levels as
  quarters.
* :func:`read_service_list_json` – the JSON list export used by several Karlsruhe open-data
  projects (``[{"id", "name", "category", "subcategory", "lat", "lon", ...}]``).

All results are in EPSG:4326; the caller reprojects.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from sqe_geo._errors import InputDataError, StudyConfigError
from sqe_geo.quality import QualityReport

__all__ = [
    "DEFAULT_JSON_CATEGORIES",
    "load_osm_presets",
    "parse_capacity",
    "read_osm_boundaries",
    "read_osm_services",
    "read_service_list_json",
]

SERVICE_COLUMNS = ["service_id", "category", "name", "capacity", "geometry"]
_OSM_TYPE = {"n": "node", "w": "way", "r": "relation"}
_PRESET_KEYS = {"label", "tags", "capacity_tags", "extend", "enabled", "merge_m"}
#: Objects of one category closer than this (metres) and of the same name (or unnamed) are
#: one place: a stop's platform, stop position and station; a shop as node and building.
DEFAULT_MERGE_M = 25.0

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


# --------------------------------------------------------------------------- presets


def _default_presets() -> dict[str, dict[str, Any]]:
    text = resources.files("sqe_geo").joinpath("presets/osm_services.toml").read_text("utf-8")
    return tomllib.loads(text)


def _as_values(key: str, values: object, where: str) -> list[str]:
    if isinstance(values, str):
        return [values]
    if isinstance(values, Sequence) and all(isinstance(v, str) for v in values):
        return list(values)
    raise StudyConfigError(
        f"{where}.tags.{key} must be a text or a list of texts (OSM values, '*' for any), "
        f"not {values!r}."
    )


def load_osm_presets(
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Return the OSM tag presets per service category, with study-file overrides applied.

    Parameters
    ----------
    overrides
        Category → preset table in the structure of ``presets/osm_services.toml``
        (``tags``: OSM key → list of values, ``"*"`` for any value but ``no``;
        optional ``label``, ``capacity_tags``). A category's table replaces the default one,
        unless it has ``extend = true`` (then its tag values are added to the default's);
        ``enabled = false`` removes a category; unknown categories are added.

    Returns
    -------
    dict
        Category → ``{"label": str, "tags": {key: [values]}, "capacity_tags": [keys]}``.

    Raises
    ------
    StudyConfigError
        If an override has an unknown key, no ``tags`` or values that are not texts.
    """
    presets = _default_presets()
    for category, table in (overrides or {}).items():
        where = f"services.osm_presets.{category}"
        if not isinstance(table, Mapping):
            raise StudyConfigError(f"{where} must be a table (dict), not {table!r}.")
        unknown = set(table) - _PRESET_KEYS
        if unknown:
            raise StudyConfigError(
                f"{where} has unknown key(s) {', '.join(sorted(unknown))}; allowed: "
                f"{', '.join(sorted(_PRESET_KEYS))}."
            )
        if table.get("enabled", True) is False:
            presets.pop(category, None)
            continue
        tags = table.get("tags")
        if not isinstance(tags, Mapping) or not tags:
            raise StudyConfigError(
                f"{where}.tags must map OSM keys to value lists, e.g. "
                'tags = { amenity = ["pharmacy"] }.'
            )
        new_tags = {str(k): _as_values(str(k), v, where) for k, v in tags.items()}
        base = presets.get(category, {})
        if table.get("extend", False) and base:
            merged = {k: list(v) for k, v in base.get("tags", {}).items()}
            for k, vals in new_tags.items():
                merged[k] = list(dict.fromkeys([*merged.get(k, []), *vals]))
            entry = {**base, "tags": merged}
        else:
            entry = {"label": category, "tags": new_tags}
        for key in ("label", "capacity_tags", "merge_m"):
            if key in table:
                entry[key] = table[key]
        presets[category] = entry
    for category, entry in presets.items():
        entry.setdefault("label", category)
        entry.setdefault("capacity_tags", [])
        entry.setdefault("merge_m", DEFAULT_MERGE_M)
        merge = entry["merge_m"]
        if isinstance(merge, bool) or not isinstance(merge, int | float) or merge < 0:
            raise StudyConfigError(
                f"services.osm_presets.{category}.merge_m must be a distance in metres (>= 0), "
                f"not {merge!r}; 0 keeps every OSM object as its own service."
            )
        entry["tags"] = {
            k: _as_values(k, v, f"services.osm_presets.{category}")
            for k, v in entry.get("tags", {}).items()
        }
    return presets


# --------------------------------------------------------------------------- capacity

_CAP_PLAIN = re.compile(r"^\d+(?:[.,]\d+)?$")
_CAP_LOOSE = re.compile(
    r"^(?:ca\.?|circa|approx\.?|about|etwa|rund|~|>=?|<=?|max\.?)?\s*"
    r"(\d+(?:[.,]\d+)?)\s*(?:[A-Za-zÄÖÜäöüß.]+(?:\s+[A-Za-zÄÖÜäöüß.]+)*)?$",
    re.IGNORECASE,
)
_CAP_LIST = re.compile(r"^\d+(?:\s*;\s*\d+)+$")


def parse_capacity(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse OSM ``capacity``-like tag values into numbers (vectorised).

    Plain numbers (``"80"``, ``"12,5"``) are ``"ok"``; numbers with a qualifier or unit
    (``"ca. 80"``, ``"80 Plätze"``, ``"~80"``) and semicolon lists (``"60;20"``, summed) are
    ``"interpreted"``; anything else (``"80-100"``, ``"viele"``, negative numbers) is
    ``"invalid"`` and gives NaN; a missing value is ``"missing"``.

    Parameters
    ----------
    values
        Raw tag values (text or missing).

    Returns
    -------
    numbers : pandas.Series
        ``float64`` capacities.
    status : pandas.Series
        ``"ok"``, ``"interpreted"``, ``"invalid"`` or ``"missing"`` per value.
    """
    text = values.astype("string").str.strip()
    missing = (text.isna() | (text == "")).to_numpy()
    plain = text.str.fullmatch(_CAP_PLAIN).fillna(False).to_numpy(dtype=bool)
    loose_num = text.str.extract(_CAP_LOOSE, expand=False)
    loose = loose_num.notna().to_numpy() & ~plain
    listed = text.str.fullmatch(_CAP_LIST).fillna(False).to_numpy(dtype=bool)

    def to_float(s: pd.Series) -> np.ndarray:
        return pd.to_numeric(s.str.replace(",", ".", regex=False), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )

    numbers = np.full(len(values), np.nan)
    numbers[plain] = to_float(text[plain])
    numbers[loose] = to_float(loose_num[loose])
    if listed.any():
        parts = text[listed].str.split(";").explode().str.strip()
        numbers[listed] = pd.to_numeric(parts).groupby(level=0).sum().to_numpy(dtype=float)
    status = np.full(len(values), "invalid", dtype=object)
    status[missing] = "missing"
    status[plain] = "ok"
    status[loose | listed] = "interpreted"
    return pd.Series(numbers, index=values.index), pd.Series(status, index=values.index)


# --------------------------------------------------------------------------- OSM reading


def _check_osm_path(path: Path) -> None:
    if not path.is_file():
        raise InputDataError(
            f"OSM file {path} not found; check the path in the study file or run "
            "`sqe-geo fetch` to download an extract."
        )


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


def _wkb_or_none(factory: osmium.geom.WKBFactory, obj: Any, kind: str) -> str | None:
    try:
        if kind == "area":
            return factory.create_multipolygon(obj)
        return factory.create_linestring(obj)
    except (osmium.InvalidLocationError, RuntimeError):
        return None


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
        Study-file preset overrides, see :func:`load_osm_presets`.
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
    _check_osm_path(path)
    presets = load_osm_presets(overrides)
    if categories is not None:
        wanted = list(categories)
        unknown = [c for c in wanted if c not in presets]
        if unknown:
            raise StudyConfigError(
                f"Unknown service categor(y/ies) {', '.join(unknown)}; known: "
                f"{', '.join(presets)}. Add a preset under services.osm_presets."
            )
        presets = {c: presets[c] for c in wanted}
    index = _matcher(presets)
    keys = list(index)
    factory = osmium.geom.WKBFactory()

    records: dict[tuple[str, int], dict[str, Any]] = {}  # (type, id) → record
    pending_ways: set[int] = set()
    pending_rels: set[int] = set()

    def remember(kind: str, obj: Any, cats: dict[str, str], geom: str | None) -> None:
        records[(kind, obj.id)] = {
            "cats": cats,
            "name": obj.tags.get("name", ""),
            "capacity_raw": {
                c: next(
                    (obj.tags.get(t) for t in presets[c]["capacity_tags"] if t in obj.tags), None
                )
                for c in cats
            },
            "wkb": geom,
        }

    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_areas(osmium.filter.KeyFilter(*keys))
            .with_filter(osmium.filter.KeyFilter(*keys))
        )
        for obj in processor:
            # isinstance instead of obj.is_area() etc. (same test) so that mypy narrows the type.
            if isinstance(obj, osmium.osm.Area):
                kind = "w" if obj.from_way() else "r"
                oid = obj.orig_id()
                pending = pending_ways if kind == "w" else pending_rels
                if oid in pending:
                    wkb = _wkb_or_none(factory, obj, "area")
                    if wkb is not None:
                        records[(kind, oid)]["wkb"] = wkb
                        pending.discard(oid)
                continue
            cats = _categories(obj.tags, index)
            if not cats:
                continue
            if isinstance(obj, osmium.osm.Node):
                loc = obj.location
                wkb = factory.create_point(loc) if loc.valid() else None
                remember("n", obj, cats, wkb)
            elif isinstance(obj, osmium.osm.Way):
                remember("w", obj, cats, _wkb_or_none(factory, obj, "line"))
                if obj.is_closed() and len(obj.nodes) >= 4:
                    pending_ways.add(obj.id)
            elif isinstance(obj, osmium.osm.Relation):
                remember("r", obj, cats, None)
                pending_rels.add(obj.id)
    except RuntimeError as exc:
        raise InputDataError(
            f"{path}: cannot be read as an OpenStreetMap file ({exc}); check that it is "
            ".osm XML or .osm.pbf and not truncated (download it again)."
        ) from exc

    fallback = sorted(f"w{i}" for i in pending_ways if records[("w", i)]["wkb"] is not None)
    rows: list[dict[str, Any]] = []
    no_geom: list[str] = []
    for (kind, oid), rec in sorted(records.items()):
        if rec["wkb"] is None:
            no_geom.append(f"{kind}{oid} ({', '.join(rec['cats'].values())})")
            continue
        for cat, tag in rec["cats"].items():
            rows.append(
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
            )
    frame = pd.DataFrame(
        rows,
        columns=[
            "service_id",
            "category",
            "name",
            "capacity_raw",
            "osm_type",
            "osm_id",
            "osm_tag",
            "wkb",
        ],
    )
    geoms = shapely.point_on_surface(shapely.from_wkb(frame["wkb"].to_numpy(dtype=object)))
    capacity, status = parse_capacity(frame["capacity_raw"])
    has_cap_tags = frame["category"].map(lambda c: bool(presets[c]["capacity_tags"]))
    capacity = capacity.where(has_cap_tags)

    if report is not None:
        _report_capacity(report, layer, path.name, frame, status, has_cap_tags)
        if no_geom:
            report.add(
                "osm_geometry_missing",
                layer,
                f"{path.name}: {len(no_geom)} matching OSM object(s) have no usable geometry "
                "(node locations missing from the extract, or a broken multipolygon) and "
                "were dropped; use a complete extract (osmium extract --strategy complete_ways).",
                items=no_geom,
            )
        if fallback:
            report.add(
                "osm_area_fallback",
                layer,
                f"{path.name}: {len(fallback)} closed way(s) do not form a valid area; a point "
                "on their outline is used instead.",
                severity="info",
                items=fallback,
            )
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


def merge_same_place(
    services: gpd.GeoDataFrame,
    merge_m: Mapping[str, float],
    *,
    report: QualityReport | None = None,
    layer: str = "services",
    source: str = "",
) -> gpd.GeoDataFrame:
    """Merge OSM objects of one category that are one place into one service.

    Objects of the same category within ``merge_m[category]`` metres of each other (chains
    of such neighbours included) whose names agree, or that have no name, are one place: a
    stop's platform, stop position and station, or a shop mapped as a node and as a
    building. The first object (nodes before ways before relations) is kept, with the
    first non-empty name and the largest capacity; ``merged_ids`` lists the others.

    Returns
    -------
    geopandas.GeoDataFrame
        The services, one row per place, in the input's order and CRS.
    """
    if services.empty:
        return services.assign(merged_ids="")
    metric = (
        services.to_crs(services.estimate_utm_crs()) if services.crs.is_geographic else services
    )
    xy = np.column_stack([metric.geometry.x.to_numpy(), metric.geometry.y.to_numpy()])
    category = services["category"].to_numpy(dtype=object)
    names = services["name"].fillna("").astype(str).str.strip().str.casefold().to_numpy()
    links = [np.empty((0, 2), dtype=np.int64)]
    for cat in pd.unique(category):
        distance = float(merge_m.get(cat, DEFAULT_MERGE_M))
        rows = np.flatnonzero(category == cat)
        if distance <= 0 or rows.size < 2:
            continue
        pairs = cKDTree(xy[rows]).query_pairs(distance, output_type="ndarray")
        if pairs.size:
            links.append(rows[pairs])
    pairs = np.concatenate(links)
    a, b = names[pairs[:, 0]], names[pairs[:, 1]]
    pairs = pairs[(a == "") | (b == "") | (a == b)]  # two named places side by side stay two
    graph = sparse.coo_matrix(
        (np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(services),) * 2
    )
    _, group = connected_components(graph, directed=False)
    order = {"node": 0, "way": 1, "relation": 2}
    rank = services["osm_type"].map(order).fillna(3).to_numpy() if "osm_type" in services else 0
    frame = services.assign(_group=group, _rank=rank, _pos=np.arange(len(services)))
    frame = frame.sort_values(["_group", "_rank", "_pos"], kind="stable")
    keep = ~frame["_group"].duplicated()
    grouped = frame.groupby("_group", sort=False)
    first_name = grouped["name"].agg(lambda v: next((x for x in v if str(x).strip()), ""))
    others = grouped["service_id"].agg(lambda v: ";".join(list(v)[1:]))
    out = frame.loc[keep].copy()
    out["name"] = out["_group"].map(first_name).to_numpy()
    if "capacity" in out:
        out["capacity"] = out["_group"].map(grouped["capacity"].max()).to_numpy()
    out["merged_ids"] = out["_group"].map(others).to_numpy()
    out = out.sort_values("_pos").drop(columns=["_group", "_rank", "_pos"])
    merged = len(services) - len(out)
    if merged and report is not None:
        per_cat = (services["category"].value_counts() - out["category"].value_counts()).fillna(0)
        report.add(
            "osm_same_place_merged",
            layer,
            f"{source}: {merged} OSM object(s) were merged into the place they belong to "
            "(same category, same name or unnamed, within the preset's merge_m: e.g. a stop's "
            f"platform, stop position and station); {len(out)} services remain.",
            severity="info",
            items=[f"{c}: {int(n)}" for c, n in per_cat.items() if n],
            count=merged,
        )
    return gpd.GeoDataFrame(out.reset_index(drop=True), crs=services.crs)


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
            f"{source}: {int(interpreted.sum())} capacity value(s) were read from text with a "
            "qualifier, unit or list (e.g. 'ca. 80', '60;20'); check them.",
            severity="info",
            items=items(interpreted),
        )
    if invalid.any():
        report.add(
            "osm_capacity_invalid",
            layer,
            f"{source}: {int(invalid.sum())} capacity value(s) are not a number and were set "
            "to missing; fix the capacity tag in OSM or give capacities in a separate table.",
            items=items(invalid),
        )
    if missing.any():
        per_cat = frame.loc[missing, "category"].value_counts()
        report.add(
            "osm_capacity_missing",
            layer,
            f"{source}: {int(missing.sum())} service(s) of a capacity-bound category have no "
            "capacity tag (capacity is NaN): "
            + ", ".join(f"{c}: {n}" for c, n in per_cat.items())
            + ".",
            severity="info",
            items=frame.loc[missing, "service_id"],
        )


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
    _check_osm_path(path)
    levels = {str(admin_level)} if isinstance(admin_level, int) else {str(x) for x in admin_level}
    factory = osmium.geom.WKBFactory()
    wanted_rels: dict[int, str] = {}
    rows: list[dict[str, Any]] = []
    unnamed_ways: list[str] = []

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
                wanted_rels[obj.id] = obj.tags.get("name") or ""
            if not isinstance(obj, osmium.osm.Area) or not is_wanted(obj.tags):
                continue
            kind = "way" if obj.from_way() else "relation"
            name = obj.tags.get("name", "")
            if kind == "way" and not name:
                # Member ways of boundary relations carry the same tags; an unnamed closed
                # one is almost always such a member, not a quarter of its own.
                unnamed_ways.append(f"w{obj.orig_id()}")
                continue
            wkb = _wkb_or_none(factory, obj, "area")
            if wkb is None:
                continue
            rows.append(
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
            f"{path}: cannot be read as an OpenStreetMap file ({exc}); check that it is "
            ".osm XML or .osm.pbf and not truncated."
        ) from exc

    built = {r["osm_id"] for r in rows if r["osm_type"] == "relation"}
    broken = [f"r{i} {n}".strip() for i, n in sorted(wanted_rels.items()) if i not in built]
    if broken and report is not None:
        report.add(
            "osm_boundary_not_assembled",
            layer,
            f"{path.name}: {len(broken)} boundary relation(s) could not be assembled into "
            "polygons (members missing from the extract or rings not closed) and were dropped; "
            "extract with osmium's complete_ways strategy or fix the relation in OSM.",
            severity="error",
            items=broken,
        )
    if not rows:
        raise InputDataError(
            f"{path}: no boundary=administrative area with admin_level "
            f"{'/'.join(sorted(levels))} found; check admin_level in the study file or that "
            "the extract contains the boundary relations with their member ways."
        )
    frame = pd.DataFrame(rows)
    unnamed = frame["name"] == ""
    if unnamed.any() and report is not None:
        report.add(
            "osm_boundary_unnamed",
            layer,
            f"{path.name}: {int(unnamed.sum())} boundary relation(s) have no name tag; tables "
            "keyed by name cannot be matched to them.",
            items=[f"r{i}" for i in frame.loc[unnamed, "osm_id"]],
        )
    refs = frame["ref"]
    if (refs != "").all() and refs.is_unique:
        frame["quarter_id"] = refs
    else:
        order = frame.sort_values(["name", "osm_id"], kind="stable").index
        width = max(2, len(str(len(frame))))
        frame.loc[order, "quarter_id"] = [f"{i:0{width}d}" for i in range(1, len(frame) + 1)]
        if report is not None:
            reason = (
                f"{int((refs == '').sum())} have no {id_tag!r} tag"
                if (refs == "").any()
                else f"the {id_tag!r} values repeat"
            )
            report.add(
                "quarter_ids_ordinal",
                layer,
                f"{path.name}: quarter ids were numbered in name order because {reason}; "
                "tables keyed by official numbers must be matched by name.",
                severity="info",
                items=[f"{q} {n}" for q, n in zip(frame["quarter_id"], frame["name"], strict=True)],
            )
    if unnamed_ways and report is not None:
        report.add(
            "osm_boundary_unnamed_ways_ignored",
            layer,
            f"{path.name}: {len(unnamed_ways)} unnamed closed boundary way(s) were ignored "
            "(taken for members of boundary relations).",
            severity="info",
            items=unnamed_ways,
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


# --------------------------------------------------------------------------- JSON list


def _id_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


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
    if not path.is_file():
        raise InputDataError(f"Service list {path} not found; check the path in the study file.")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputDataError(f"{path}: not valid UTF-8 JSON ({exc}).") from exc
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise InputDataError(
            f"{path}: expected a JSON list of objects with lat/lon; for GeoJSON use the "
            "points reader of the layers module."
        )
    mapping = dict(DEFAULT_JSON_CATEGORIES if categories is None else categories)
    frame = pd.DataFrame.from_records(data)
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

    if report is not None:
        unused = source_cat[~used].fillna("<none>").value_counts()
        if len(unused):
            report.add(
                "json_records_not_used",
                layer,
                f"{path.name}: {int((~used).sum())} record(s) have a {category_field} that maps "
                "to no service category and are not used; add the value to the category "
                "mapping to use them.",
                severity="info",
                items=[f"{k}: {n}" for k, n in unused.items()],
                count=int((~used).sum()),
            )
        bad = used & ~coord_ok
        if bad.any():
            report.add(
                "json_invalid_coordinates",
                layer,
                f"{path.name}: {int(bad.sum())} record(s) have no valid lat/lon and were dropped.",
                items=ids[bad],
            )
        if (used & no_id).any():
            report.add(
                "json_missing_ids",
                layer,
                f"{path.name}: {int((used & no_id).sum())} record(s) have no id; their "
                "position in the list (#n) is used instead.",
                severity="info",
                items=ids[used & no_id],
            )
    keep = used & coord_ok
    capacity, cap_status = parse_capacity(frame["capacity"].map(_id_text))
    if report is not None and (used & (cap_status == "invalid").to_numpy()).any():
        bad_cap = used & (cap_status == "invalid").to_numpy()
        report.add(
            "json_capacity_invalid",
            layer,
            f"{path.name}: {int(bad_cap.sum())} capacity value(s) are not a number and were "
            "set to missing.",
            items=[
                f"{i} capacity={c!r}"
                for i, c in zip(ids[bad_cap], frame["capacity"][bad_cap], strict=True)
            ],
        )
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
                f"{path.name}: {int(dup.sum())} record(s) repeat an id within a category; "
                "only the first is used.",
                items=out.loc[dup, "service_id"],
            )
        out = out.loc[~dup]
    geometry = gpd.points_from_xy(lon[keep][~dup.to_numpy()], lat[keep][~dup.to_numpy()])
    gdf = gpd.GeoDataFrame(out, geometry=geometry, crs="EPSG:4326")
    return gdf.sort_values(["category", "service_id"], kind="stable").reset_index(drop=True)
