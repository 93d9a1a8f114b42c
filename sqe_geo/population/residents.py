"""Where residents live, from a population raster: origins at the centres of grid cells.

An *origins* table is a :class:`geopandas.GeoDataFrame` of points in the analysis CRS with the
columns ``origin_id`` (str), ``quarter_id`` (str) and one resident-count column per age group
present, from the fixed vocabulary :data:`~sqe_geo.population.origins.AGE_GROUPS`. This module
reads origins from a population GeoTIFF (one band per age group);
:mod:`sqe_geo.population.points` builds them from a point layer with counts,
:mod:`sqe_geo.population.dasymetric` by dasymetric allocation of quarter totals onto target
points, and :mod:`sqe_geo.population.raster_writer` writes origins to a GeoTIFF that
:func:`origins_from_raster` reads back.

Every record that is dropped, cut, unassigned or placed by a fallback is counted in a
:class:`~sqe_geo.quality.QualityReport`. Without a report argument, a new report is created
and attached to the result as ``result.attrs["quality_report"]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio

from sqe_geo._errors import InputDataError
from sqe_geo.i18n.messages import Message
from sqe_geo.population.origins import (
    AGE_GROUPS,
    assign_quarters,
    attach_report,
    check_group,
    check_quarters,
    new_report,
    origins_frame,
    report_ties,
    split_outside,
)
from sqe_geo.quality import QualityReport


def _band_groups(
    path: Path,
    descriptions: Sequence[str | None],
    band_groups: Mapping[int, str] | Mapping[str, str] | None,
) -> dict[int, str]:
    """Map 1-based band indexes to age groups."""
    if band_groups is None:
        mapping = {}
        for i, name in enumerate(descriptions, start=1):
            if not name:
                raise InputDataError(
                    Message(
                        "population.raster.band_without_name",
                        path=str(path),
                        band=i,
                        groups=", ".join(AGE_GROUPS),
                    )
                )
            check_group(name, where=Message("population.raster.band_name", path=str(path), band=i))
            mapping[i] = name
    else:
        mapping = {}
        for key, group in band_groups.items():
            check_group(group, where=f"band_groups[{key!r}]")
            if isinstance(key, str):
                if key not in descriptions:
                    raise InputDataError(
                        Message(
                            "population.raster.no_such_band_name",
                            path=str(path),
                            name=key,
                            names=list(descriptions),
                        )
                    )
                index = list(descriptions).index(key) + 1
            else:
                index = int(key)
                if not 1 <= index <= len(descriptions):
                    raise InputDataError(
                        Message(
                            "population.raster.no_such_band",
                            path=str(path),
                            band=index,
                            n=len(descriptions),
                        )
                    )
            mapping[index] = group
    groups = list(mapping.values())
    dup = {g for g in groups if groups.count(g) > 1}
    if dup:
        raise InputDataError(
            Message("population.raster.group_twice", path=str(path), groups=sorted(dup))
        )
    return mapping


def origins_from_raster(
    path: str | Path,
    quarters: gpd.GeoDataFrame,
    *,
    band_groups: Mapping[int, str] | Mapping[str, str] | None = None,
    report: QualityReport | None = None,
) -> gpd.GeoDataFrame:
    """Read a population GeoTIFF (one band per age group) as origins at cell centres.

    Parameters
    ----------
    path
        GeoTIFF readable by rasterio, with a CRS. Nodata and NaN cells count as 0 residents.
    quarters
        Quarter polygons with ``quarter_id`` in the (projected) analysis CRS.
    band_groups
        Mapping of band index (1-based, int) or band description (str) to an age group.
        Without it, every band's description must be an age-group name (as written by
        :func:`write_population_raster`). Bands left out of the mapping are ignored.
    report
        Receives the findings (see Notes).

    Returns
    -------
    geopandas.GeoDataFrame
        Origins (``origin_id`` = ``"r<row>c<col>"``, ``quarter_id``, one float column per
        age group, point geometry) in the CRS of ``quarters``.

    Notes
    -----
    Cells whose values are all zero or nodata are skipped (no residents, no loss). Each
    cell is assigned to the quarter containing its centre; a cell straddling a boundary
    goes wholly to one quarter. Reported: ``outside_quarters`` (cells with residents whose
    centre is outside every quarter, with the residents lost per group), ``boundary_ties``
    and ``bands_ignored`` (info).
    """
    report, created = new_report(report)
    check_quarters(quarters)
    path = Path(path)
    if not path.exists():
        raise InputDataError(Message("population.raster.not_found", path=str(path)))
    try:
        src_ctx = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputDataError(
            Message("population.raster.unreadable", path=str(path), error=str(exc))
        ) from exc
    with src_ctx as src:
        if src.crs is None:
            raise InputDataError(Message("population.raster.no_crs", path=str(path)))
        mapping = _band_groups(path, src.descriptions, band_groups)
        ignored = sorted(set(range(1, src.count + 1)) - set(mapping))
        bands = sorted(mapping)
        data = src.read(bands, masked=True).astype("float64").filled(0.0)
        transform, raster_crs = src.transform, src.crs
    if ignored:
        report.add(
            "bands_ignored",
            "population_raster",
            Message("population.raster.bands_ignored", file=path.name, bands=ignored),
            severity="info",
            items=ignored,
        )
    data = np.nan_to_num(data, nan=0.0)
    if (data < 0).any():
        raise InputDataError(Message("population.raster.negative", path=str(path)))
    rows, cols = np.nonzero((data > 0).any(axis=0))
    # Explicit affine arithmetic: `Affine * coords` is deprecated in affine 3.
    cc, rr = cols + 0.5, rows + 0.5
    xs = transform.a * cc + transform.b * rr + transform.c
    ys = transform.d * cc + transform.e * rr + transform.f
    counts = pd.DataFrame({mapping[b]: data[i, rows, cols] for i, b in enumerate(bands)})
    ids = ("r" + pd.Series(rows).astype(str) + "c" + pd.Series(cols).astype(str)).to_numpy()
    centres = gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=raster_crs).to_crs(quarters.crs)
    quarter_id, ties = assign_quarters(centres.values, quarters)
    report_ties(report, "population_raster", ties, Message("population.what.cell_centres"))
    inside = split_outside(
        ids,
        quarter_id,
        counts,
        report=report,
        layer="population_raster",
        what=Message("population.what.cells"),
    )
    result = origins_frame(
        ids[inside],
        quarter_id[inside],
        counts.loc[inside].reset_index(drop=True),
        centres.values[inside],
        quarters.crs,
    )
    return attach_report(result, report, created)


__all__ = ["origins_from_raster"]
