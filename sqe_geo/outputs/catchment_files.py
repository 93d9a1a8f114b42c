"""Walking catchments and proposed sites as files: GeoPackage (analysis CRS) or GeoJSON
(EPSG:4326).

The bands come from :func:`sqe_geo.catchments.study_catchments` with their residents already
disclosed; the file is written whole or not at all (:func:`sqe_geo.outputs.export.write_atomic`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd

from sqe_geo._errors import ExportError
from sqe_geo.i18n.messages import Message
from sqe_geo.outputs.export import write_atomic

__all__ = ["SUFFIXES", "catchment_bytes", "check_suffix", "write_catchments"]

#: Layer name of the catchments in a GeoPackage.
LAYER = "einzugsbereiche"
#: The file formats, by suffix.
SUFFIXES = (".gpkg", ".geojson")


def check_suffix(path: str | Path) -> str:
    """The file's suffix when it names a catchment format.

    Raises
    ------
    ExportError
        Any other suffix (checked before the computation).
    """
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise ExportError(Message("outputs.export.catchment_suffix", suffix=suffix or "(none)"))
    return suffix


def catchment_bytes(bands: gpd.GeoDataFrame, suffix: str, layer: str = LAYER) -> bytes:
    """The bands as a ``.gpkg`` (layer ``einzugsbereiche``) or ``.geojson`` file.

    Parameters
    ----------
    bands
        The catchments of :func:`sqe_geo.catchments.study_catchments` (or another layer,
        e.g. the sites of :func:`sqe_geo.locate.study_locations`).
    suffix
        ``".gpkg"`` or ``".geojson"``.
    layer
        Layer name in a GeoPackage.

    Raises
    ------
    ExportError
        Another suffix.
    """
    suffix = check_suffix(f"x{suffix}")
    if suffix == ".geojson":
        data: str = bands.to_crs("EPSG:4326").to_json(drop_id=True)
        return data.encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "catchments.gpkg"
        bands.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
        return path.read_bytes()


def write_catchments(bands: gpd.GeoDataFrame, path: str | Path, layer: str = LAYER) -> Path:
    """Write the bands to ``path`` (its suffix chooses the format), whole or not at all.

    Parameters
    ----------
    bands
        The catchments.
    path
        ``*.gpkg`` or ``*.geojson``.
    layer
        Layer name in a GeoPackage.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    return write_atomic(path, catchment_bytes(bands, path.suffix.lower(), layer))
