"""The demo's synthetic layers: residents by age, population grid, streets and services.

Everything here is drawn from a seeded random generator on top of the facts of
:mod:`sqe_geo.demo_geometry` (the 65–79 / 80+ split, the year 2023, the 100 m population grid,
services and streets); the same generator state gives the same layers.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from shapely.geometry.base import BaseGeometry

from sqe_geo.demo_geometry import CRS, stadtteile, to_utm

#: Synthetic services: category -> (count, how strongly they follow population density).
_SERVICES: dict[str, tuple[int, float]] = {
    "food": (130, 1.0),
    "pharmacy": (65, 1.0),
    "gp": (190, 1.0),
    "transit_stop": (550, 0.5),
    "meeting_place": (40, 0.8),
    "care_home": (34, 0.7),
    "bench": (900, 0.6),
}
_NAME_PATTERNS: dict[str, list[str]] = {
    "food": ["Supermarkt {q}", "Lebensmittelmarkt {q}", "Bäckerei {q}", "Bioladen {q}"],
    "pharmacy": ["{q}-Apotheke", "Apotheke am Markt {q}", "Stadt-Apotheke {q}"],
    "gp": ["Hausarztpraxis Dr. {s}", "Allgemeinmedizin Dr. {s}", "Praxis Dr. {s}"],
    "transit_stop": ["{q} Mitte", "{q} Nord", "{q} Süd", "{q} Bahnhof", "{q} Kirche"],
    "meeting_place": [
        "Seniorenbegegnungsstätte {q}",
        "Bürgerzentrum {q}",
        "Mehrgenerationenhaus {q}",
        "Familienzentrum {q}",
    ],
    "care_home": ["Pflegeheim {q}", "Seniorenzentrum {q}", "Haus am Park {q}"],
    "bench": ["Sitzbank"],
}
_SURNAMES = [
    "Maier", "Schmidt", "Weber", "Fischer", "Wagner", "Becker", "Schulz", "Hoffmann",
    "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Zimmermann", "Braun",
]  # fmt: skip

CELL_M = 100.0
STREET_SPACING_M = 250.0


def build_demographics(rng: np.random.Generator) -> pd.DataFrame:
    """2016 as published (plus a synthetic 80+ split) and a synthetic 2023.

    Parameters
    ----------
    rng
        The seeded random generator (drawn from in a fixed order).
    """
    table = stadtteile()
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


def build_population_grid(
    quarters: gpd.GeoDataFrame, counts: pd.DataFrame, rng: np.random.Generator
) -> tuple[np.ndarray, rasterio.Affine, list[str]]:
    """A 100 m grid whose cells add up exactly to each quarter's counts per age group.

    Returns the band stack (bands, rows, cols), the affine transform and band names.

    Parameters
    ----------
    quarters
        The schematic quarters.
    counts
        Counts per quarter and age group, indexed by ``quarter_id``.
    rng
        The seeded random generator (drawn from in a fixed order).
    """
    xmin, ymin, xmax, ymax = quarters.total_bounds
    x0, y1 = np.floor(xmin / CELL_M) * CELL_M, np.ceil(ymax / CELL_M) * CELL_M
    ncols = int(np.ceil((xmax - x0) / CELL_M))
    nrows = int(np.ceil((y1 - ymin) / CELL_M))
    cx = x0 + (np.arange(ncols) + 0.5) * CELL_M
    cy = y1 - (np.arange(nrows) + 0.5) * CELL_M
    gx, gy = np.meshgrid(cx, cy)
    centres = shapely.points(gx.ravel(), gy.ravel())
    cell_idx, quarter_idx = shapely.STRtree(quarters.geometry.values).query(
        centres, predicate="within"
    )
    table = stadtteile().set_index("quarter_id")
    cx_q, cy_q = to_utm().transform(table["lon"].to_numpy(), table["lat"].to_numpy())
    band_names = ["total", "young", "working_age", "older", "young_old", "oldest_old"]
    stack = np.zeros((len(band_names), nrows * ncols), dtype=np.int32)
    for q in range(len(quarters)):
        cells = cell_idx[quarter_idx == q]
        qid = quarters["quarter_id"].iloc[q]
        k = table.index.get_loc(qid)
        d = np.hypot(gx.ravel()[cells] - cx_q[k], gy.ravel()[cells] - cy_q[k])
        sigma = 0.4 * np.sqrt(quarters.geometry.iloc[q].area)
        weight = np.exp(-0.5 * (d / sigma) ** 2) * rng.lognormal(0.0, 0.5, len(cells))
        weight[weight < 0.08 * weight.max()] = 0.0  # fields, forest, industry
        weight[rng.random(len(cells)) < 0.15] = 0.0  # parks and other empty blocks
        row = counts.loc[qid]
        for b, group in enumerate(band_names):
            # older groups live slightly closer to the centres of their quarters
            tilt = np.exp(-0.3 * d / sigma) if group in ("older", "oldest_old") else 1.0
            stack[b, cells] = _largest_remainder(weight * tilt, int(row[group]))
        # the 65+ band must equal the sum of its two parts in every cell
        stack[3, cells] = stack[4, cells] + stack[5, cells]
    # written out: rasterio.transform.from_origin warns under affine >= 3.1
    transform = rasterio.Affine(CELL_M, 0.0, x0, 0.0, -CELL_M, y1)
    return stack.reshape(len(band_names), nrows, ncols), transform, band_names


def build_streets(
    quarters: gpd.GeoDataFrame, inhabited: BaseGeometry, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """Synthetic street lines: a jittered, gappy street grid plus arterials.

    Parameters
    ----------
    quarters
        The schematic quarters.
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
    return gpd.GeoDataFrame({"highway": highway}, geometry=lines, crs=CRS)


def build_services(
    quarters: gpd.GeoDataFrame,
    total: np.ndarray,
    transform: rasterio.Affine,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """Synthetic service points placed in inhabited cells, denser where more people live.

    Parameters
    ----------
    quarters
        The schematic quarters.
    total
        The ``total`` band of the population grid.
    transform
        Its affine transform.
    rng
        The seeded random generator (drawn from in a fixed order).
    """
    rows, cols = np.nonzero(total)
    people = total[rows, cols].astype(float)
    xs, ys = rasterio.transform.xy(transform, rows, cols)
    xs, ys = np.asarray(xs), np.asarray(ys)
    q_of_cell = gpd.sjoin(
        gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, ys), crs=CRS),
        quarters[["name", "geometry"]],
        predicate="within",
        how="left",
    )["name"].to_numpy()
    frames = []
    for category, (count, follow) in _SERVICES.items():
        p = people**follow
        pick = rng.choice(len(people), size=count, replace=True, p=p / p.sum())
        px = xs[pick] + rng.uniform(-45, 45, count)
        py = ys[pick] + rng.uniform(-45, 45, count)
        patterns = _NAME_PATTERNS[category]
        names = [
            patterns[i % len(patterns)].format(q=q_of_cell[c], s=_SURNAMES[i % len(_SURNAMES)])
            for i, c in enumerate(pick)
        ]
        places = (
            rng.integers(4, 17, count) * 10 if category == "care_home" else np.full(count, np.nan)
        )
        frames.append(
            gpd.GeoDataFrame(
                {
                    "service_id": [f"{category}-{i + 1:04d}" for i in range(count)],
                    "category": category,
                    "name": names,
                    "places": places,
                },
                geometry=gpd.points_from_xy(px, py),
                crs=CRS,
            )
        )
    return pd.concat(frames, ignore_index=True)


__all__ = [
    "CELL_M",
    "STREET_SPACING_M",
    "build_demographics",
    "build_population_grid",
    "build_services",
    "build_streets",
]
