"""The accessibility surface as files: GeoTIFF (one band per category and measure) or
GeoPackage (cell squares with their values).

Both are in the grid's CRS (the study's raster, the Zensus grid or the analysis CRS, see
:func:`sqe_geo.surface.study_grid`) and written whole or not at all
(:func:`sqe_geo.outputs.export.write_atomic`). The surface shows no residents, so it needs
no disclosure control.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import rasterio

from sqe_geo._errors import ExportError
from sqe_geo.i18n.messages import Message
from sqe_geo.outputs.export import write_atomic
from sqe_geo.surface import MEASURES, Surface

__all__ = ["NODATA", "SURFACE_LAYER", "SURFACE_SUFFIXES", "surface_bytes", "write_surface"]

#: File formats by suffix.
SURFACE_SUFFIXES = (".tif", ".tiff", ".gpkg")
#: GeoTIFF nodata: cells outside the quarters, off the network, beyond the cut-off.
NODATA = -9999.0
#: Layer name in a GeoPackage.
SURFACE_LAYER = "erreichbarkeit"


def check_surface_suffix(path: str | Path) -> str:
    """The suffix of ``path`` (lower case) when it is one of :data:`SURFACE_SUFFIXES`.

    Raises
    ------
    ExportError
        Any other suffix (checked before the computation).
    """
    suffix = Path(path).suffix.lower()
    if suffix not in SURFACE_SUFFIXES:
        raise ExportError(Message("outputs.export.surface_suffix", suffix=suffix or "(none)"))
    return suffix


def _tiff(surface: Surface, target: Path) -> None:
    grid = surface.grid
    rows, cols = grid.shape
    names = [f"{m}_{cat}" for cat in surface.categories for m in MEASURES]
    stack = np.full((len(names), rows, cols), NODATA, dtype="float32")
    r = grid.cells["row"].to_numpy()
    c = grid.cells["col"].to_numpy()
    for band, name in enumerate(names):
        values = surface.values[name].to_numpy(dtype=float)
        stack[band, r, c] = np.where(np.isfinite(values), values, NODATA)
    profile = {
        "driver": "GTiff",
        "width": cols,
        "height": rows,
        "count": len(names),
        "dtype": "float32",
        "crs": grid.crs.to_wkt(),
        "transform": grid.transform,
        "nodata": NODATA,
        "compress": "deflate",
    }
    with rasterio.open(target, "w", **profile) as dst:
        dst.write(stack)
        dst.descriptions = tuple(names)
        dst.update_tags(method=surface.method, capacity=",".join(surface.capacity))


def surface_bytes(surface: Surface, path: str | Path) -> bytes:
    """The surface as the file ``path`` names (``.tif``/``.tiff`` or ``.gpkg``).

    Parameters
    ----------
    surface
        The study's surface (:func:`sqe_geo.surface.study_surface`).
    path
        The file's name; its suffix chooses the format.

    Returns
    -------
    bytes
        The file's contents.
    """
    suffix = check_surface_suffix(path)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"surface{suffix}"
        if suffix == ".gpkg":
            surface.layer().to_file(target, layer=SURFACE_LAYER, driver="GPKG", engine="pyogrio")
        else:
            _tiff(surface, target)
        return target.read_bytes()


def write_surface(surface: Surface, path: str | Path) -> Path:
    """Write the surface to ``path`` (``*.tif`` or ``*.gpkg``), whole or not at all.

    Parameters
    ----------
    surface
        The study's surface.
    path
        The file.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    return write_atomic(Path(path), surface_bytes(surface, path))
