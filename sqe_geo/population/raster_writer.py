"""Writing origins (or any points with counts) as a population GeoTIFF.

The bands are named after the count columns, so that
:func:`sqe_geo.population.residents.origins_from_raster` reads the file back without a band
mapping when the columns are age groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import rasterio
from affine import Affine

from sqe_geo._errors import InputDataError
from sqe_geo.i18n.messages import Message
from sqe_geo.population.origins import AGE_GROUPS, check_counts


def write_population_raster(
    path: str | Path,
    origins: gpd.GeoDataFrame,
    *,
    resolution: float,
    columns: Sequence[str] | None = None,
    crs: Any = None,
    dtype: str = "float64",
) -> Path:
    """Sum point counts into grid cells and write them as a GeoTIFF, one band per column.

    Parameters
    ----------
    path
        Output GeoTIFF; written to a temporary file first and then renamed.
    origins
        Points with count columns and a CRS (origins, Zensus cell centres, ...).
    resolution
        Cell size in CRS units (metres). The grid is aligned to multiples of the resolution,
        so Zensus centres (``…50``) fall in their own 100 m cells.
    columns
        Count columns to write; default: the age-group columns present.
    crs
        Grid CRS; default the CRS of ``origins`` (points are reprojected otherwise).
    dtype
        Band data type; ``float64`` keeps fractional counts exact.

    Returns
    -------
    pathlib.Path
        The written file. Band descriptions are the column names, so
        :func:`origins_from_raster` reads the file without a ``band_groups`` mapping when the
        columns are age groups. Cells without points are 0 (no nodata value is set).
    """
    path = Path(path)
    if origins.crs is None:
        raise InputDataError(Message("population.writer.no_crs"))
    if columns is None:
        columns = [g for g in AGE_GROUPS if g in origins.columns]
    missing = [c for c in columns if c not in origins.columns]
    if not columns or missing:
        raise InputDataError(
            Message(
                "population.writer.columns_missing",
                missing=missing or "(none)",
                columns=list(origins.columns),
            )
        )
    if resolution <= 0:
        raise InputDataError(Message("population.writer.bad_resolution"))
    points = origins.geometry if crs is None else origins.geometry.to_crs(crs)
    if len(points) == 0:
        raise InputDataError(Message("population.writer.no_points"))
    if set(points.geom_type.unique()) - {"Point"}:
        points = points.centroid
    x, y = points.x.to_numpy(), points.y.to_numpy()
    values = check_counts(origins[list(columns)], where="write_population_raster").fillna(0.0)
    x0 = np.floor(x.min() / resolution) * resolution
    y_top = (np.floor(y.max() / resolution) + 1) * resolution
    col = np.floor((x - x0) / resolution).astype(np.int64)
    row = np.floor((y_top - y) / resolution).astype(np.int64)
    width, height = int(col.max()) + 1, int(row.max()) + 1
    flat = row * width + col
    stack = np.stack(
        [np.bincount(flat, weights=values[c].to_numpy(), minlength=width * height) for c in columns]
    ).reshape(len(columns), height, width)
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": len(columns),
        "dtype": dtype,
        "crs": points.crs,
        "transform": Affine(resolution, 0.0, x0, 0.0, -resolution, y_top),
        "compress": "deflate",
    }
    tmp = path.with_name(path.name + ".part")
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(stack.astype(dtype))
        dst.descriptions = tuple(str(c) for c in columns)
    tmp.replace(path)
    return path


__all__ = ["write_population_raster"]
