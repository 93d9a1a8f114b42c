"""The embedded demo study: a schematic Karlsruhe in ``geodata/``.

The builder writes every demo file from facts typed in below (Stadtteil centre points,
a simplified city outline and the 2016 figures published by the City of Karlsruhe under
dl-de/by-2-0) plus seeded synthetic data (the 65–79 / 80+ split, the year 2023, the
population grid, services and streets). It is deterministic: the same seed gives the same
files. Run ``python -m sqe_geo.demo build [FOLDER]`` to write them anew.

The quarter boundaries are *schematic* (Voronoi cells of the centre points clipped to the
outline), not the official ones.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from sqe_geo._resources import data_folder

#: The demo folder inside the repository.
DEMO_FOLDER = data_folder("sqe_geo.demo_data", "geodata")
#: The demo study file.
DEMO_STUDY = DEMO_FOLDER / "demo.toml"

CRS = "EPSG:25832"
SEED = 20260

# nr, name, lat, lon, total 2016, 0-19, 20-64, 65+ (Stadt Karlsruhe, dl-de/by-2-0)
_STADTTEILE = """
01 Innenstadt-Ost 49.0142 8.4108 6967 862 4989 874
02 Innenstadt-West 49.0141 8.3970 10747 1234 7895 1154
03 Südstadt 48.9992 8.4141 20640 2843 14920 2358
04 Südweststadt 48.9994 8.3888 21283 3458 14227 3024
05 Weststadt 49.0093 8.3767 21064 3253 14117 3119
06 Nordweststadt 49.0282 8.3686 12053 1934 7170 2651
07 Oststadt 49.0136 8.4265 23542 3402 16885 2521
08 Mühlburg 49.0148 8.3427 17481 2732 11301 3116
09 Daxlanden 48.9985 8.3123 11833 1929 6678 3088
10 Knielingen 49.0428 8.3317 10296 1794 6484 1859
11 Grünwinkel 48.9976 8.3525 10878 1862 6432 2415
12 Oberreut 48.9846 8.3614 9639 1822 5821 1911
13 Beiertheim-Bulach 48.9867 8.3789 7114 1120 4529 1325
14 Weiherfeld-Dammerstock 48.9849 8.4004 6145 977 3389 1663
15 Rüppurr 48.9712 8.4070 10864 1904 6091 2635
16 Waldstadt 49.0430 8.4317 12749 2297 7121 3066
17 Rintheim 49.0147 8.4481 6100 1090 3690 1211
18 Hagsfeld 49.0359 8.4678 7297 1320 4681 1139
19 Durlach 48.9921 8.4684 31104 5015 18929 6529
20 Grötzingen 49.0228 8.4997 9356 1604 5240 2294
21 Stupferich 48.9549 8.5113 2827 498 1654 630
22 Hohenwettersbach 48.9657 8.4851 3099 772 1747 504
23 Wolfartsweier 48.9743 8.4522 3237 526 1922 708
24 Grünwettersbach 48.9549 8.4612 4160 770 2278 1034
25 Palmbach 48.9452 8.4807 1970 428 1170 338
26 Neureut 49.0570 8.3933 19228 3536 11342 3999
27 Nordstadt 49.0247 8.3896 9962 2382 6150 1238
"""

# Simplified city outline (lon, lat), closed ring.
_OUTLINE = [
    (8.4235, 49.0906), (8.4114, 49.0814), (8.4165, 49.071), (8.4099, 49.0633),
    (8.3579, 49.0711), (8.3475, 49.0647), (8.3407, 49.0805), (8.3297, 49.0726),
    (8.3061, 49.0443), (8.2959, 49.0106), (8.2773, 48.9899), (8.2811, 48.9831),
    (8.2992, 48.991), (8.3226, 48.984), (8.3296, 48.9919), (8.3726, 48.9714),
    (8.3804, 48.9744), (8.3895, 48.9576), (8.4379, 48.9716), (8.4518, 48.9631),
    (8.4393, 48.9462), (8.4663, 48.9405), (8.5108, 48.9427), (8.525, 48.9522),
    (8.5367, 48.9524), (8.5417, 48.9601), (8.5093, 48.968), (8.5104, 48.9824),
    (8.5002, 48.9923), (8.521, 49.0144), (8.5199, 49.0311), (8.4825, 49.0613),
    (8.472, 49.0394), (8.4495, 49.0502), (8.4281, 49.0707), (8.4366, 49.0913),
    (8.4235, 49.0906),
]  # fmt: skip

#: Illustrative grouping of the 27 Stadtteile into 6 planning areas (not official).
PLANNING_AREAS: dict[str, list[str]] = {
    "West": ["08", "09", "11", "12"],
    "Innenstadt": ["01", "02", "03", "05"],
    "Süd": ["04", "13", "14", "15"],
    "Nord": ["06", "10", "26", "27"],
    "Ost": ["07", "16", "17", "18"],
    "Durlach und Bergdörfer": ["19", "20", "21", "22", "23", "24", "25"],
}

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


def stadtteile() -> pd.DataFrame:
    """Return the 27 Stadtteile with centre points and the published 2016 figures."""
    rows = [line.split() for line in _STADTTEILE.strip().splitlines()]
    records = [
        {
            "quarter_id": r[0],
            "name": " ".join(r[1:-6]),
            "lat": float(r[-6]),
            "lon": float(r[-5]),
            "total": int(r[-4]),
            "age_0_19": int(r[-3]),
            "age_20_64": int(r[-2]),
            "age_65_plus": int(r[-1]),
        }
        for r in rows
    ]
    return pd.DataFrame.from_records(records)


def _to_utm() -> Transformer:
    return Transformer.from_crs("EPSG:4326", CRS, always_xy=True)


def city_outline() -> shapely.Polygon:
    """Return the simplified city outline in EPSG:25832."""
    lon, lat = np.array(_OUTLINE).T
    x, y = _to_utm().transform(lon, lat)
    return shapely.Polygon(np.column_stack([x, y]))


def build_quarters() -> gpd.GeoDataFrame:
    """Voronoi cells of the Stadtteil centres clipped to the outline (schematic)."""
    table = stadtteile()
    x, y = _to_utm().transform(table["lon"].to_numpy(), table["lat"].to_numpy())
    centres = shapely.points(x, y)
    outline = city_outline()
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(centres), extend_to=outline.buffer(5000))
    )
    # voronoi_polygons does not keep the input order: match cells to centres
    tree = shapely.STRtree(cells)
    pairs = tree.query(centres, predicate="within")
    order = np.empty(len(centres), dtype=int)
    order[pairs[0]] = pairs[1]
    geoms = shapely.intersection(cells[order], outline)
    planning_area = {q: pa for pa, qs in PLANNING_AREAS.items() for q in qs}
    return gpd.GeoDataFrame(
        {
            "quarter_id": table["quarter_id"],
            "name": table["name"],
            "planning_area": table["quarter_id"].map(planning_area),
        },
        geometry=geoms,
        crs=CRS,
    )


def build_demographics(rng: np.random.Generator) -> pd.DataFrame:
    """2016 as published (plus a synthetic 80+ split) and a synthetic 2023."""
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
    cx_q, cy_q = _to_utm().transform(table["lon"].to_numpy(), table["lat"].to_numpy())
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
    """Synthetic street lines: a jittered, gappy street grid plus arterials."""
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
    """Synthetic service points placed in inhabited cells, denser where more people live."""
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


def build(folder: Path = DEMO_FOLDER, seed: int = SEED) -> list[Path]:
    """Write the demo study into ``folder`` and return the written files.

    Parameters
    ----------
    folder
        Target folder (``geodata/`` by default). Existing demo files are overwritten.
    seed
        Seed of the random generator; the same seed gives the same files.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    quarters = build_quarters()
    demographics = build_demographics(rng)
    latest = demographics[demographics["Jahr"] == demographics["Jahr"].max()].set_index(
        "Stadtteil_Nr"
    )
    counts = pd.DataFrame(
        {
            "total": latest["Einwohner"],
            "young": latest["Alter_0_19"],
            "working_age": latest["Alter_20_64"],
            "older": latest["Alter_65_plus"],
            "young_old": latest["Alter_65_79"],
            "oldest_old": latest["Alter_80_plus"],
        }
    )
    stack, transform, band_names = build_population_grid(quarters, counts, rng)
    rows, cols = np.nonzero(stack[0])
    xs, ys = rasterio.transform.xy(transform, rows, cols)
    inhabited = shapely.union_all(
        shapely.buffer(shapely.points(np.asarray(xs), np.asarray(ys)), CELL_M, quad_segs=1)
    )
    streets = build_streets(quarters, inhabited, rng)
    services = build_services(quarters, stack[0], transform, rng)

    written = []
    path = folder / "quarters.gpkg"
    quarters[["quarter_id", "name", "geometry"]].to_file(path, layer="quarters", driver="GPKG")
    written.append(path)
    path = folder / "planning_areas.csv"
    quarters[["quarter_id", "name", "planning_area"]].to_csv(path, index=False)
    written.append(path)
    path = folder / "demographics.csv"
    demographics.to_csv(path, index=False, sep=";", encoding="utf-8")
    written.append(path)
    path = folder / "population_grid.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=stack.shape[1],
        width=stack.shape[2],
        count=stack.shape[0],
        dtype="int32",
        crs=CRS,
        transform=transform,
        compress="deflate",
        predictor=2,
        nodata=None,
    ) as dst:
        dst.write(stack)
        for b, name in enumerate(band_names, start=1):
            dst.set_band_description(b, name)
        dst.update_tags(
            year=str(int(demographics["Jahr"].max())), source="synthetic (sqe-geo demo)"
        )
    written.append(path)
    path = folder / "services.gpkg"
    services.to_file(path, layer="services", driver="GPKG")
    written.append(path)
    path = folder / "streets.gpkg"
    streets.to_file(path, layer="streets", driver="GPKG")
    written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m sqe_geo.demo build [FOLDER] [--seed N]``."""
    parser = argparse.ArgumentParser(prog="python -m sqe_geo.demo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write the demo study files")
    b.add_argument("folder", nargs="?", type=Path, default=DEMO_FOLDER)
    b.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    for path in build(args.folder, args.seed):
        print(f"wrote {path} ({path.stat().st_size / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
