"""The demo's derived and synthetic layers: residents by age, population grid, streets and
services.

Derived from the public sources (:mod:`sqe_geo.demo_sources`): the 2016 figures as published,
the 100 m population grid shaped by the density of real address points, the real
supermarkets, weekly markets and benches. Drawn from a seeded random generator: the 65–79 /
80+ split, the year 2023, the services without open data here (pharmacies, GPs, transit stops,
meeting places, care homes) and the walking network; the same generator state gives the same
layers.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from shapely.geometry.base import BaseGeometry

from sqe_geo.access.network import build_network
from sqe_geo.demo_sources import CRS

CELL_M = 100.0
STREET_SPACING_M = 250.0


def build_demographics(figures: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """2016 as published (plus a synthetic 80+ split) and a synthetic 2023.

    Parameters
    ----------
    figures
        The published 2016 figures (:attr:`sqe_geo.demo_sources.DemoSources.figures`).
    rng
        The seeded random generator (drawn from in a fixed order).
    """
    table = figures
    n = len(table)
    share_80 = rng.uniform(0.25, 0.38, n)
    old80_2016 = np.round(table["age_65_plus"] * share_80).astype(int)
    y2016 = pd.DataFrame(
        {
            "Stadtteil_Nr": table["quarter_id"],
            "Stadtteil": table["name"],
            "Jahr": 2016,
            "Einwohner": table["total"],
            "Alter_0_19": table["age_0_19"],
            "Alter_20_64": table["age_20_64"],
            "Alter_65_plus": table["age_65_plus"],
            "Alter_65_79": table["age_65_plus"] - old80_2016,
            "Alter_80_plus": old80_2016,
            "Quelle": "Stadt Karlsruhe 2016 (dl-de/by-2-0); 65–79/80+ synthetisch",
        }
    )
    y2023 = y2016.copy()
    y2023["Jahr"] = 2023
    for column, (low, high) in {
        "Alter_0_19": (0.95, 1.08),
        "Alter_20_64": (0.96, 1.05),
        "Alter_65_79": (0.93, 1.10),
        "Alter_80_plus": (1.05, 1.30),
    }.items():
        y2023[column] = np.round(y2016[column] * rng.uniform(low, high, n)).astype(int)
    y2023["Alter_65_plus"] = y2023["Alter_65_79"] + y2023["Alter_80_plus"]
    # keep a gap between bands and total like the published data has
    gap = y2016["Einwohner"] - (y2016["Alter_0_19"] + y2016["Alter_20_64"] + y2016["Alter_65_plus"])
    y2023["Einwohner"] = (
        y2023["Alter_0_19"] + y2023["Alter_20_64"] + y2023["Alter_65_plus"] + gap
    ).astype(int)
    y2023["Quelle"] = "synthetisch (Demo)"
    return pd.concat([y2016, y2023], ignore_index=True)


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` that add up to ``total`` exactly."""
    if total == 0 or weights.sum() == 0:
        return np.zeros(len(weights), dtype=np.int64)
    exact = weights / weights.sum() * total
    base: np.ndarray = np.floor(exact).astype(np.int64)
    rest = int(total - base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:rest]] += 1
    return base


def _grid(quarters: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, rasterio.Affine]:
    """Cell centres (x, y) of a 100 m grid over the quarters and its affine transform."""
    xmin, ymin, xmax, ymax = quarters.total_bounds
    x0, y1 = np.floor(xmin / CELL_M) * CELL_M, np.ceil(ymax / CELL_M) * CELL_M
    ncols = int(np.ceil((xmax - x0) / CELL_M))
    nrows = int(np.ceil((y1 - ymin) / CELL_M))
    gx, gy = np.meshgrid(
        x0 + (np.arange(ncols) + 0.5) * CELL_M, y1 - (np.arange(nrows) + 0.5) * CELL_M
    )
    # written out: rasterio.transform.from_origin warns under affine >= 3.1
    return gx, gy, rasterio.Affine(CELL_M, 0.0, x0, 0.0, -CELL_M, y1)


def build_population_grid(
    quarters: gpd.GeoDataFrame, counts: pd.DataFrame, addresses: np.ndarray
) -> tuple[np.ndarray, rasterio.Affine, list[str], list[str]]:
    """A 100 m grid shaped by the address points, adding up exactly to each quarter's counts.

    A cell belongs to the quarter that contains its centre; its weight is the number of
    address points in it. A quarter without any address point is spread evenly over its
    cells. Every age group is distributed by the same weights (largest remainder), and the
    65+ band is the sum of its two parts in every cell.

    Parameters
    ----------
    quarters
        The Stadtteile.
    counts
        Counts per quarter and age group, indexed by ``quarter_id``.
    addresses
        Coordinates (n, 2) of the address points.

    Returns
    -------
    tuple
        The band stack (bands, rows, cols), the affine transform, the band names and the ids
        of the quarters spread evenly.
    """
    gx, gy, transform = _grid(quarters)
    nrows, ncols = gx.shape
    centres = shapely.points(gx.ravel(), gy.ravel())
    cell_idx, quarter_idx = shapely.STRtree(quarters.geometry.values).query(
        centres, predicate="within"
    )
    col = np.floor((addresses[:, 0] - transform.c) / CELL_M).astype(int)
    row = np.floor((transform.f - addresses[:, 1]) / CELL_M).astype(int)
    inside = (row >= 0) & (row < nrows) & (col >= 0) & (col < ncols)
    density = np.bincount(row[inside] * ncols + col[inside], minlength=nrows * ncols)
    band_names = ["total", "young", "working_age", "older", "young_old", "oldest_old"]
    stack = np.zeros((len(band_names), nrows * ncols), dtype=np.int32)
    even: list[str] = []
    per_quarter = counts.astype(int).to_dict("index")
    for q in range(len(quarters)):
        cells = cell_idx[quarter_idx == q]
        qid = str(quarters["quarter_id"].iloc[q])
        weight = density[cells].astype(float)
        if weight.sum() == 0:
            weight = np.ones(len(cells))
            even.append(qid)
        for b, group in enumerate(band_names):
            stack[b, cells] = _largest_remainder(weight, int(per_quarter[qid][group]))
        # the 65+ band must equal the sum of its two parts in every cell
        stack[3, cells] = stack[4, cells] + stack[5, cells]
    return stack.reshape(len(band_names), nrows, ncols), transform, band_names, even


def build_streets(
    quarters: gpd.GeoDataFrame, inhabited: BaseGeometry, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """Synthetic street lines: a jittered, gappy street grid plus arterials.

    Parameters
    ----------
    quarters
        The Stadtteile.
    inhabited
        Area of the inhabited cells.
    rng
        The seeded random generator (drawn from in a fixed order).
    """
    xmin, ymin, xmax, ymax = quarters.total_bounds
    xs = np.arange(xmin, xmax + STREET_SPACING_M, STREET_SPACING_M)
    ys = np.arange(ymin, ymax + STREET_SPACING_M, STREET_SPACING_M)
    jx = rng.uniform(-60, 60, (len(ys), len(xs)))
    jy = rng.uniform(-60, 60, (len(ys), len(xs)))
    gx = xs[None, :] + jx
    gy = ys[:, None] + jy
    area = shapely.intersection(inhabited.buffer(250), shapely.union_all(quarters.geometry))
    shapely.prepare(area)
    inside = shapely.contains_xy(area, gx, gy)
    lines: list[shapely.LineString] = []

    def add_runs(px: np.ndarray, py: np.ndarray, keep: np.ndarray) -> None:
        # a street runs along consecutive kept segments; a gap ends it (a dead end)
        start = None
        for i in range(len(keep) + 1):
            if i < len(keep) and keep[i]:
                start = i if start is None else start
            elif start is not None:
                lines.append(
                    shapely.LineString(np.column_stack([px[start : i + 1], py[start : i + 1]]))
                )
                start = None

    for r in range(len(ys)):
        keep = inside[r, :-1] & inside[r, 1:] & (rng.random(len(xs) - 1) > 0.12)
        add_runs(gx[r], gy[r], keep)
    for c in range(len(xs)):
        keep = inside[:-1, c] & inside[1:, c] & (rng.random(len(ys) - 1) > 0.12)
        add_runs(gx[:, c], gy[:, c], keep)
    highway = ["residential"] * len(lines)
    # arterials between neighbouring quarter centres (Delaunay edges inside the city)
    centres = quarters.geometry.representative_point().values
    city = shapely.union_all(quarters.geometry)
    for edge in shapely.get_parts(
        shapely.delaunay_triangles(shapely.multipoints(centres), only_edges=True)
    ):
        if city.contains(edge):
            lines.append(edge)
            highway.append("secondary")
    return _connect_islands(gpd.GeoDataFrame({"highway": highway}, geometry=lines, crs=CRS))


def _connect_islands(streets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Join every island of the synthetic streets to the main network by its shortest link.

    The gaps of the street grid can cut off a few blocks; a real city's streets connect.
    """
    net = build_network(streets, node=True)
    main = shapely.points(net.node_xy[net.component == 0])
    tree = shapely.STRtree(main)
    links = []
    for island in range(1, int(net.component.max()) + 1):
        nodes = shapely.points(net.node_xy[net.component == island])
        (near_island, near_main), distance = tree.query_nearest(nodes, return_distance=True)
        best = int(np.argmin(distance))
        links.append(shapely.LineString([nodes[near_island[best]], main[near_main[best]]]))
    joined = gpd.GeoDataFrame({"highway": ["residential"] * len(links)}, geometry=links, crs=CRS)
    return pd.concat([streets, joined], ignore_index=True)


__all__ = [
    "CELL_M",
    "STREET_SPACING_M",
    "build_demographics",
    "build_population_grid",
    "build_streets",
]
