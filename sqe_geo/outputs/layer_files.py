"""Walking catchments and proposed sites as files: GeoPackage (analysis CRS) or GeoJSON
(EPSG:4326).

The layers come from :func:`sqe_geo.catchments.study_catchments` and
:func:`sqe_geo.locate.study_locations` with their residents already disclosed; a file is
written whole or not at all (:func:`sqe_geo.outputs.export.write_atomic`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd

from sqe_geo._errors import ExportError
from sqe_geo.i18n.messages import Message
from sqe_geo.outputs.export import write_atomic

__all__ = ["SUFFIXES", "check_suffix", "layer_bytes", "write_layer"]

#: The file formats, by suffix.
SUFFIXES = (".gpkg", ".geojson")


def check_suffix(path: str | Path) -> str:
    """The file's suffix (lower case) when it names one of :data:`SUFFIXES`.

    Raises
    ------
    ExportError
        Any other suffix (checked before the computation).
    """
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise ExportError(Message("outputs.export.catchment_suffix", suffix=suffix or "(none)"))
    return suffix


def layer_bytes(frame: gpd.GeoDataFrame, path: str | Path, layer: str) -> bytes:
    """``frame`` as the file ``path`` names: a GeoPackage layer or GeoJSON in EPSG:4326.

    Parameters
    ----------
    frame
        The layer (catchments, sites) in a projected CRS.
    path
        The file's name; its suffix chooses the format (:func:`check_suffix`).
    layer
        Layer name in a GeoPackage (``einzugsbereiche``, ``standorte``).
    """
    if check_suffix(path) == ".geojson":
        data: str = frame.to_crs("EPSG:4326").to_json(drop_id=True)
        return data.encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "layer.gpkg"
        frame.to_file(target, layer=layer, driver="GPKG", engine="pyogrio")
        return target.read_bytes()


def write_layer(frame: gpd.GeoDataFrame, path: str | Path, layer: str) -> Path:
    """Write ``frame`` to ``path`` (``*.gpkg`` or ``*.geojson``), whole or not at all.

    Parameters
    ----------
    frame
        The layer.
    path
        The file.
    layer
        Layer name in a GeoPackage.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    return write_atomic(Path(path), layer_bytes(frame, path, layer))
