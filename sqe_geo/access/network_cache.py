"""The on-disk cache of built walking graphs.

Built graphs are cached as ``.npz`` keyed by the content hash of the input files and the
build parameters, see :func:`load_or_build_network`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from sqe_geo._errors import InputDataError
from sqe_geo.access.network import WalkingNetwork, adjacency, build_network
from sqe_geo.access.network_read import read_network_lines
from sqe_geo.config_database import DatabaseLayer
from sqe_geo.i18n.messages import Message
from sqe_geo.io.extent import check_extent
from sqe_geo.io.hashing import file_sha256, sha256_hex
from sqe_geo.quality import QualityReport

__all__ = ["load_or_build_network"]

#: Version of the cache layout; bump when :class:`WalkingNetwork` or the stored findings
#: change.
_CACHE_VERSION = 2


def load_or_build_network(
    path: str | Path | Sequence[str | Path] | DatabaseLayer,
    cache_dir: str | Path,
    *,
    crs: object = "EPSG:25832",
    source_crs: object | None = None,
    node: bool | None = None,
    report: QualityReport | None = None,
) -> WalkingNetwork:
    """Return the walking network of a file, from the on-disk cache when up to date.

    The cache key is the SHA-256 of the file content plus the parameters, so a changed
    file or parameter builds a new graph; the graph is stored as ``.npz`` in ``cache_dir``.

    Parameters
    ----------
    path
        Network file (see :func:`~sqe_geo.access.network_read.read_network_lines`), or
        several (adjacent OSM extracts, tiles of a line layer): their lines are merged,
        lines present in more than one file are kept once (reported); or a PostGIS table
        or query of lines (the cache key is then the hash of the lines read).
    cache_dir
        Folder for cached graphs (created if missing).
    crs
        The metric analysis CRS the lines are reprojected to.
    source_crs
        CRS of the file when it does not state one.
    node
        See :func:`build_network`.
    report
        Receives findings of a fresh build; on a cache hit the stored findings of the
        build are replayed into it, so nothing reported once disappears later.

    Returns
    -------
    WalkingNetwork
    """
    target = CRS.from_user_input(crs)
    if isinstance(path, DatabaseLayer):  # no file to hash: the lines themselves are hashed
        local = QualityReport()
        lines = _read_merged([path], target, source_crs, local)
        wkb = b"".join(shapely.to_wkb(lines.geometry.values, hex=False))
        digest = sha256_hex(wkb + path.url.encode())
        paths: list[Path | DatabaseLayer] = [path]
    else:
        paths = list(_checked_paths(path))
        digest = "".join(file_sha256(p) for p in paths if isinstance(p, Path))
    params = {
        "v": _CACHE_VERSION,
        "crs": target.to_wkt(),
        "source_crs": None if source_crs is None else CRS.from_user_input(source_crs).to_wkt(),
        "node": node,
    }
    key = sha256_hex((digest + json.dumps(params, sort_keys=True)).encode())[:24]
    cache_dir = Path(cache_dir)
    cache_file = cache_dir / f"network_{key}.npz"
    if cache_file.exists():
        try:
            return _load_npz(cache_file, report)
        except (OSError, ValueError, KeyError):
            pass  # a broken cache file is rebuilt below and overwritten
    if not isinstance(path, DatabaseLayer):
        local = QualityReport()
        lines = _read_merged(paths, target, source_crs, local)
    layer = ", ".join(p.name for p in paths)
    net = build_network(lines, node=node, report=local, layer=layer)
    _store_npz(cache_file, net, local)
    if report is not None:
        report.extend(local)
    return net


def _checked_paths(path: str | Path | Sequence[str | Path]) -> list[Path]:
    paths = [Path(p) for p in ([path] if isinstance(path, str | Path) else path)]
    if not paths:
        raise InputDataError(Message("access.network.no_file"))
    for item in paths:
        if not item.exists():
            raise InputDataError(Message("access.network.file_missing", path=str(item)))
        if item.is_dir():
            raise InputDataError(Message("access.network.is_folder", path=str(item)))
    return paths


def _store_npz(cache_file: Path, net: WalkingNetwork, findings: QualityReport) -> None:
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_file.with_name(cache_file.stem + ".tmp.npz")
    np.savez(
        tmp,
        node_xy=net.node_xy,
        edge_u=net.edge_u,
        edge_v=net.edge_v,
        edge_length=net.edge_length,
        component=net.component,
        crs=np.array(net.crs),
        findings=np.array(_findings_json(findings)),
    )
    tmp.replace(cache_file)


def _read_merged(
    paths: Sequence[Path | DatabaseLayer],
    target: CRS,
    source_crs: object | None,
    report: QualityReport,
) -> gpd.GeoDataFrame:
    """Lines of one or several network files in the analysis CRS, duplicates dropped."""
    parts = []
    for item in paths:
        lines = read_network_lines(item, crs=source_crs, report=report)
        noded = lines.attrs.get("noded", False)
        # degrees labelled as metres, swapped axes, a wrong zone: refused, not built
        check_extent(lines, target, what="network", source=item.name)
        parts.append((lines.to_crs(target), noded))
    if len(parts) == 1:
        lines, noded = parts[0]
        lines.attrs["noded"] = noded
        return lines
    merged = gpd.GeoDataFrame(
        pd.concat([p[["geometry"]] for p, _ in parts], ignore_index=True),
        geometry="geometry",
        crs=target,
    )
    # adjacent extracts overlap at their edges: a line in both files is one street
    key = shapely.to_wkb(shapely.normalize(merged.geometry.values))
    twice = pd.Series(key).duplicated().to_numpy()
    if twice.any():
        report.add(
            "network_duplicates_merged",
            ", ".join(p.name for p in paths),
            Message("access.network.duplicates_merged", n=int(twice.sum())),
            severity="info",
            count=int(twice.sum()),
        )
    merged = merged.loc[~twice].reset_index(drop=True)
    merged.attrs["noded"] = all(noded for _, noded in parts)
    return merged


def _findings_json(report: QualityReport) -> str:
    """The findings of a build as JSON; catalog messages are kept as key and parameters."""
    rows = []
    for f in report.findings:
        if isinstance(f.text, Message):
            text: object = {"key": f.text.key, "params": dict(f.text.params)}
        else:
            text = f.text
        rows.append(
            {
                "check": f.check,
                "layer": f.layer,
                "text": text,
                "severity": f.severity,
                "items": list(f.items),
                "count": f.count,
            }
        )
    return json.dumps(rows, default=str)


def _load_npz(cache_file: Path, report: QualityReport | None) -> WalkingNetwork:
    with np.load(cache_file, allow_pickle=False) as data:
        node_xy = data["node_xy"]
        u, v, length = data["edge_u"], data["edge_v"], data["edge_length"]
        component = data["component"]
        crs_wkt = str(data["crs"])
        findings = json.loads(str(data["findings"]))
    graph = adjacency(node_xy.shape[0], u, v, length)
    if report is not None:
        for f in findings:
            text = f["text"]
            message = Message(text["key"], **text["params"]) if isinstance(text, dict) else text
            report.add(
                f["check"],
                f["layer"],
                message,
                severity=f["severity"],
                items=f["items"],
                count=f["count"],
            )
    return WalkingNetwork(node_xy, u, v, length, graph, component, crs_wkt)
