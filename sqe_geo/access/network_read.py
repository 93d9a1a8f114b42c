"""Reading walkable street lines from a line layer or an OpenStreetMap file."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from sqe_geo._errors import InputDataError
from sqe_geo.config_database import DatabaseLayer
from sqe_geo.i18n.messages import Message
from sqe_geo.io.layers import is_osm
from sqe_geo.quality import QualityReport

__all__ = ["DROPPED_HIGHWAYS", "WALKABLE_HIGHWAYS", "read_network_lines"]

#: ``highway`` values kept from OpenStreetMap as walkable.
WALKABLE_HIGHWAYS: frozenset[str] = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "residential",
        "living_street",
        "service",
        "unclassified",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "steps",
        "track",
        "cycleway",
        "bridleway",
        "road",
        "corridor",
        "elevator",
        "platform",
    }
)

#: ``highway`` values never walkable (motorways and trunk roads).
DROPPED_HIGHWAYS: frozenset[str] = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})


def read_network_lines(
    path: str | Path | DatabaseLayer,
    *,
    crs: object | None = None,
    report: QualityReport | None = None,
) -> gpd.GeoDataFrame:
    """Read walkable street lines from a line layer or an OpenStreetMap file.

    Parameters
    ----------
    path
        A GeoPackage, GeoJSON or Shapefile with (Multi)LineStrings, or an OpenStreetMap
        ``.osm`` (XML) or ``.osm.pbf`` file, or a PostGIS table or query of lines.
    crs
        CRS to assume when the file does not state one (anything :class:`pyproj.CRS`
        accepts). OpenStreetMap files are always WGS84 (EPSG:4326).
    report
        Receives OSM ways dropped as not walkable (info) and ways or nodes dropped because
        the extract lacks node locations (warning), and non-line features of line layers.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per line, in the CRS of the file (not reprojected). OSM input has the
        columns ``osm_id`` and ``highway`` and ``attrs["noded"] = True`` (OSM ways share
        nodes at junctions, so crossings without a shared node are bridges/tunnels and
        must not be split).

    Raises
    ------
    InputDataError
        The file is missing or unreadable, holds no lines, or has no CRS and none is given.
    """
    if isinstance(path, DatabaseLayer):
        from sqe_geo.io.postgis import read_database_layer

        gdf = read_database_layer(path, what="network")
        name = where = path.name
    else:
        path = Path(path)
        if not path.exists():
            raise InputDataError(Message("access.network.file_missing", path=str(path)))
        if is_osm(path):
            return _read_osm(path, report)
        try:
            gdf = gpd.read_file(path, engine="pyogrio")
        except Exception as exc:  # pyogrio raises several error types
            raise InputDataError(
                Message("access.network.unreadable", path=str(path), error=str(exc))
            ) from exc
        name, where = path.name, str(path)
    if gdf.crs is None:
        if crs is None:
            raise InputDataError(Message("access.network.no_crs", path=where))
        gdf = gdf.set_crs(CRS.from_user_input(crs))
    types = gdf.geom_type
    keep = types.isin(["LineString", "MultiLineString"]).to_numpy()
    if not keep.any():
        raise InputDataError(
            Message("access.network.no_lines", path=where, found=str(sorted(set(types.dropna()))))
        )
    if report is not None and not keep.all():
        report.add(
            "network_not_lines",
            name,
            Message("access.network.not_lines", n=int((~keep).sum()), file=name),
            count=int((~keep).sum()),
        )
    gdf = gdf.loc[keep].reset_index(drop=True)
    gdf.attrs["noded"] = False
    gdf.attrs["source"] = where
    return gdf


def _osm_walkable(tags: dict[str, str]) -> bool:
    highway = tags.get("highway")
    if highway is None or highway in DROPPED_HIGHWAYS or highway not in WALKABLE_HIGHWAYS:
        return False
    foot = tags.get("foot")
    if foot == "no":
        return False
    if tags.get("access") in ("private", "no"):
        return foot in ("yes", "designated", "permissive")
    return True


def _read_osm(path: Path, report: QualityReport | None) -> gpd.GeoDataFrame:
    import osmium

    not_walkable: dict[str, int] = {}
    broken: list[int] = []
    missing_nodes = 0
    ids: list[int] = []
    highways: list[str] = []
    counts: list[int] = []
    coords: list[tuple[float, float]] = []
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.WAY | osmium.osm.NODE)
            .with_locations()
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        # Parsing is the one unavoidable loop over ways; geometry work after it is vectorised.
        for way in processor:
            if not isinstance(way, osmium.osm.Way):  # what way.is_way() tests; narrows the type
                continue
            tags = dict(way.tags)
            if not _osm_walkable(tags):
                key = tags["highway"]
                not_walkable[key] = not_walkable.get(key, 0) + 1
                continue
            pts = [(n.lon, n.lat) for n in way.nodes if n.location.valid()]
            missing_nodes += len(way.nodes) - len(pts)
            if len(pts) < 2:
                broken.append(way.id)
                continue
            ids.append(way.id)
            highways.append(tags["highway"])
            counts.append(len(pts))
            coords.extend(pts)
    except RuntimeError as exc:
        raise InputDataError(
            Message("access.osm.unreadable", path=str(path), error=str(exc))
        ) from exc
    if not ids:
        raise InputDataError(Message("access.osm.no_walkable_ways", path=str(path)))
    if report is not None:
        _report_osm(report, path, not_walkable, broken, missing_nodes)
    index = np.repeat(np.arange(len(ids)), counts)
    lines = shapely.linestrings(np.asarray(coords, dtype=float), indices=index)
    gdf = gpd.GeoDataFrame(
        {"osm_id": np.asarray(ids, dtype=np.int64), "highway": highways},
        geometry=lines,
        crs="EPSG:4326",
    )
    gdf.attrs["noded"] = True
    gdf.attrs["source"] = str(path)
    return gdf


def _report_osm(
    report: QualityReport,
    path: Path,
    not_walkable: dict[str, int],
    broken: list[int],
    missing_nodes: int,
) -> None:
    if not_walkable:
        report.add(
            "osm_not_walkable",
            path.name,
            Message("access.osm.not_walkable", n=sum(not_walkable.values()), file=path.name),
            severity="info",
            items=[f"highway={k}: {n}" for k, n in sorted(not_walkable.items())],
            count=sum(not_walkable.values()),
        )
    if missing_nodes:
        report.add(
            "osm_missing_nodes",
            path.name,
            Message(
                "access.osm.missing_nodes", n=missing_nodes, file=path.name, dropped=len(broken)
            ),
            items=[f"way {w}" for w in broken],
            count=missing_nodes,
        )
