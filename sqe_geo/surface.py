"""Accessibility surface of a study: minutes and gravity score per 100 m cell and category.

The grid (:func:`study_grid`) is the study's own where it has one: the cells of its
population raster (its CRS, origin and cell size), or the Zensus grid (EPSG:3035, INSPIRE
cell ids such as ``CRS3035RES100mN2689100E4337000``) when the residents come from Zensus
cells; otherwise a grid of ``[accessibility.surface] cell_m`` (default 100 m) in the
analysis CRS, aligned to multiples of the cell size. Cell ids follow the INSPIRE pattern in
the grid's CRS. Only cells whose centre lies inside a quarter are kept, each tagged with
its quarter.

:func:`study_surface` computes, per category of the study, the walking minutes to the
nearest facility and the gravity score (:mod:`sqe_geo.access.surface`) at the cell centres,
over the study's walking network (from the graph cache) at its walking speed. The surface
shows no residents: it depends only on facilities and the network, so it needs no
disclosure control. :func:`surface_counts` gives the additive per-quarter sums behind the
catalog's population-weighted mean score.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from pyproj import CRS, Transformer
from rasterio.transform import Affine

from sqe_geo._errors import InputDataError
from sqe_geo.access.snapping import points_xy, snap_points
from sqe_geo.access.study_origins import study_network
from sqe_geo.access.surface import SurfaceDecay, accessibility_surface, gravity_scores
from sqe_geo.access.walking import Walking
from sqe_geo.config import AccessibilityConfig, StudyConfig
from sqe_geo.i18n.messages import Message
from sqe_geo.quality import QualityReport
from sqe_geo.study import Study

__all__ = [
    "GROUPS", "MEASURES", "Surface", "SurfaceGrid", "cell_ids", "study_grid", "study_surface",
    "surface_counts", "surface_decay",
]  # fmt: skip

#: The measures per category: minutes to the nearest facility, gravity score.
MEASURES = ("minutes", "score")
#: Resident groups whose per-quarter score sums are counted (when present).
GROUPS = ("total", "older", "oldest_old")
_RASTER_SUFFIXES = {".tif", ".tiff", ".vrt"}
_ZENSUS_CRS = "EPSG:3035"


@dataclass(frozen=True)
class SurfaceGrid:
    """A regular grid clipped to the quarters.

    Attributes
    ----------
    crs
        The grid's CRS (raster, Zensus or analysis CRS).
    transform
        Affine transform of the full grid (north up, top-left origin).
    shape
        ``(rows, cols)`` of the full grid.
    cells
        The kept cells: ``cell_id``, ``quarter_id``, ``row``, ``col`` and the square
        (in ``crs``).
    centres
        ``(n, 2)`` cell centres in the analysis CRS.
    """

    crs: CRS
    transform: Affine
    shape: tuple[int, int]
    cells: gpd.GeoDataFrame
    centres: np.ndarray


def cell_ids(crs: CRS, res: float, x_ll: np.ndarray, y_ll: np.ndarray) -> list[str]:
    """INSPIRE-style cell ids from the lower-left corners.

    >>> cell_ids(CRS("EPSG:3035"), 100.0, np.array([4337000.0]), np.array([2689100.0]))
    ['CRS3035RES100mN2689100E4337000']
    """
    epsg = crs.to_epsg()
    size = f"{res / 1000:g}km" if res >= 1000 and res % 1000 == 0 else f"{res:g}m"
    prefix = f"CRS{epsg if epsg is not None else ''}RES{size}"
    return [f"{prefix}N{y:.0f}E{x:.0f}" for x, y in zip(x_ll, y_ll, strict=True)]


def regular_grid(
    quarters: gpd.GeoDataFrame, crs: object, res: float, x0: float = 0.0, y0: float = 0.0
) -> SurfaceGrid:
    """Cells of size ``res`` aligned to ``(x0, y0)`` in ``crs`` whose centre is in a quarter.

    Parameters
    ----------
    quarters
        Quarters (``quarter_id``, polygons) in the analysis CRS.
    crs
        The grid's CRS.
    res
        Cell size in units of ``crs``.
    x0, y0
        A corner of any cell (the alignment).

    Returns
    -------
    SurfaceGrid
    """
    grid_crs = CRS.from_user_input(crs)
    xmin, ymin, xmax, ymax = quarters.to_crs(grid_crs).total_bounds
    left = x0 + np.floor((xmin - x0) / res) * res
    top = y0 + np.ceil((ymax - y0) / res) * res
    cols = int(np.ceil((xmax - left) / res))
    rows = int(np.ceil((top - ymin) / res))
    rr, cc = np.divmod(np.arange(rows * cols), cols)
    cx, cy = left + (cc + 0.5) * res, top - (rr + 0.5) * res
    to_analysis = Transformer.from_crs(grid_crs, quarters.crs, always_xy=True)
    ax, ay = to_analysis.transform(cx, cy)
    point, quarter = shapely.STRtree(quarters.geometry.values).query(
        shapely.points(ax, ay), predicate="within"
    )
    keep, first = np.unique(point, return_index=True)
    x_ll, y_ll = cx[keep] - res / 2, cy[keep] - res / 2
    cells = gpd.GeoDataFrame(
        {
            "cell_id": cell_ids(grid_crs, res, x_ll, y_ll),
            "quarter_id": quarters["quarter_id"].to_numpy()[quarter[first]],
            "row": rr[keep],
            "col": cc[keep],
        },
        geometry=shapely.box(x_ll, y_ll, x_ll + res, y_ll + res),
        crs=grid_crs,
    )
    centres = np.column_stack([np.asarray(ax)[keep], np.asarray(ay)[keep]])
    transform = Affine(res, 0.0, left, 0.0, -res, top)
    return SurfaceGrid(grid_crs, transform, (rows, cols), cells, centres)


def study_grid(study: Study) -> SurfaceGrid:
    """The study's grid: its population raster's, the Zensus grid, or ``cell_m`` cells.

    Parameters
    ----------
    study
        The loaded study.

    Returns
    -------
    SurfaceGrid
    """
    config = study.config
    grid = config.population_grid
    cell_m = config.accessibility.surface.cell_m
    if study.grid_cells is not None:
        res = float(study.grid_cells.attrs.get("zensus_resolution_m", cell_m))
        return regular_grid(study.quarters, _ZENSUS_CRS, res)
    if grid is not None and Path(grid.path).suffix.lower() in _RASTER_SUFFIXES:
        with rasterio.open(grid.path) as raster:
            t, crs = raster.transform, raster.crs
        if t.b == 0 and t.d == 0 and t.a == -t.e and crs is not None:
            return regular_grid(study.quarters, CRS.from_user_input(crs), t.a, t.c, t.f)
    return regular_grid(study.quarters, config.analysis_crs, cell_m)


def surface_decay(acc: AccessibilityConfig) -> SurfaceDecay:
    """The gravity decay of ``[accessibility.surface]`` in metres (minutes × speed).

    Parameters
    ----------
    acc
        The study's ``[accessibility]`` section.

    Returns
    -------
    SurfaceDecay
    """
    metres_per_min = acc.walking_speed_mps * 60.0
    s = acc.surface
    return SurfaceDecay(s.decay, s.reach_min * metres_per_min, s.scale_min * metres_per_min)


@dataclass(frozen=True)
class Surface:
    """The accessibility surface of a study.

    Attributes
    ----------
    grid
        The cells.
    values
        ``minutes_{cat}`` and ``score_{cat}`` per cell (row-aligned with ``grid.cells``).
    categories
        The categories computed, in the order of the study file.
    capacity
        The categories whose score weighs facilities by their places.
    method
        How distances were measured (network or straight line × detour factor).
    """

    grid: SurfaceGrid
    values: pd.DataFrame
    categories: list[str]
    capacity: list[str]
    method: str

    def layer(self) -> gpd.GeoDataFrame:
        """The cells with their values (``cell_id``, ``quarter_id``, measures, squares)."""
        cells = self.grid.cells[["cell_id", "quarter_id"]]
        values = self.values.set_axis(cells.index)
        return gpd.GeoDataFrame(
            pd.concat([cells, values], axis=1), geometry=self.grid.cells.geometry
        )


def _categories(config: StudyConfig, services: gpd.GeoDataFrame | None) -> list[str]:
    if config.services is None or services is None:
        raise InputDataError(Message("study.surface.no_services"))
    present = set(services["category"])
    return [c for c in config.services.categories if c in present]


def _capacity(config: StudyConfig, services: gpd.GeoDataFrame, cats: list[str]) -> list[str]:
    assert config.services is not None  # checked by _categories
    if not config.accessibility.surface.capacity or "capacity" not in services.columns:
        return []
    return [c for c in cats if config.services.categories[c].capacity]


def _walking(acc: AccessibilityConfig) -> Walking:
    return Walking(
        cutoff_m=acc.cutoff_m, max_snap_m=acc.max_snap_m, detour_factor=acc.detour_factor
    )


def study_surface(study: Study, categories: list[str] | None = None) -> Surface:
    """Minutes to the nearest facility and gravity score per cell, for each category.

    Parameters
    ----------
    study
        The loaded study (with services).
    categories
        Categories to compute (default: all of the study that have facilities).

    Returns
    -------
    Surface

    Raises
    ------
    InputDataError
        The study has no services, or a requested category has no facilities.
    """
    config = study.config
    cats = _categories(config, study.services)
    if categories is not None:
        unknown = [c for c in categories if c not in cats]
        if unknown:
            raise InputDataError(
                Message(
                    "study.surface.unknown_category",
                    categories=", ".join(unknown),
                    known=", ".join(cats),
                )
            )
        cats = list(categories)
    assert study.services is not None  # checked by _categories
    grid = study_grid(study)
    acc = config.accessibility
    network = study_network(config.network, config.analysis_crs, QualityReport())
    capacity = _capacity(config, study.services, cats)
    values = accessibility_surface(
        grid.centres, study.services, cats, decay=surface_decay(acc), network=network,
        walking=_walking(acc), speed_mps=acc.walking_speed_mps, capacity=capacity,
    )  # fmt: skip
    return Surface(grid, values, cats, capacity, str(values.attrs.get("method", "")))


def surface_counts(
    study: Study,
    origins: dict[int, gpd.GeoDataFrame],
    counts: pd.DataFrame,
    categories: list[str] | None = None,
) -> pd.DataFrame:
    """Sums of residents × gravity score per quarter and year (higher levels add them).

    ``gravity_{cat}_{group}_wsum`` = Σ over the quarter's residents' locations of the
    residents of the group × the location's gravity score; divided by
    ``counted_{cat}_{group}`` it is the population-weighted mean score (catalog kind
    ``mean``). As for E2SFCA, a location off the network scores 0, and quarters whose
    category is not computed (``counted`` is NaN) get NaN.

    Disclosure control: the sums are not counts of persons (kind ``mean`` protects only its
    denominator, ``counted_{cat}_{group}``, which the coverage indicators already protect and
    :mod:`sqe_geo.stats.relations` ties to the other counts), so the mean is withheld with
    its denominator and below ``min_denominator``. With the ``cumulative`` decay and no
    capacities, though, a location's score is a whole number of facilities and the sum comes
    close to a count of persons within reach (like ``within_``, which is protected): a
    quarter whose mean rests on one or two such residents could be recovered. Prefer the
    Gaussian or exponential decay for published tables.

    Parameters
    ----------
    study
        The loaded study (with services).
    origins
        Residents' locations per year (``origin_id``, ``quarter_id``, resident groups).
    counts
        The accessibility count columns per ``(quarter_id, year)`` (for the index and the
        ``counted_`` columns).
    categories
        Only these categories (e.g. those a scenario changed; default: all of the study).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``counts``; empty without services or origins.
    """
    config = study.config
    if study.services is None or not origins or config.services is None:
        return pd.DataFrame(index=counts.index)
    cats = [c for c in _categories(config, study.services) if c in (categories or [c])]
    if not cats:
        return pd.DataFrame(index=counts.index)
    every = pd.concat(list(origins.values())).drop_duplicates("origin_id")
    acc = config.accessibility
    network = study_network(config.network, config.analysis_crs, QualityReport())
    capacity = _capacity(config, study.services, cats)
    xy, decay, walking = points_xy(every), surface_decay(acc), _walking(acc)
    snap = None if network is None else snap_points(network, xy, max_snap_m=acc.max_snap_m)
    scores = {}
    for cat in cats:
        sub = study.services[study.services["category"] == cat]
        weight = sub["capacity"].fillna(0.0) if cat in capacity else pd.Series(1.0, sub.index)
        score = gravity_scores(
            xy, points_xy(sub), weight.to_numpy(dtype=float), decay,
            network=network, walking=walking, point_snap=snap,
        )  # fmt: skip
        scores[cat] = np.nan_to_num(score, nan=0.0)
    table = pd.DataFrame(scores, index=pd.Index(every["origin_id"]))
    frames = []
    for year, located in origins.items():
        s = table.loc[located["origin_id"]].to_numpy()
        groups = [g for g in GROUPS if g in located.columns]
        columns = {
            f"gravity_{cat}_{g}_wsum": located[g].to_numpy(dtype=float) * s[:, k]
            for k, cat in enumerate(cats)
            for g in groups
        }
        summed = pd.DataFrame(columns).groupby(located["quarter_id"].to_numpy()).sum()
        summed.index = pd.MultiIndex.from_product([summed.index, [year]])
        frames.append(summed)
    out = pd.concat(frames).reindex(counts.index).fillna(0.0)
    for column in out.columns:
        counted = column.removeprefix("gravity_").removesuffix("_wsum")
        if f"counted_{counted}" in counts.columns:
            out.loc[counts[f"counted_{counted}"].isna().to_numpy(), column] = np.nan
    return out
