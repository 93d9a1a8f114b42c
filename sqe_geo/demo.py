"""The embedded demo study: a schematic Karlsruhe in ``geodata/``.

The builder writes every demo file from facts typed in below (Stadtteil centre points,
a simplified city outline and the 2016 figures published by the City of Karlsruhe under
dl-de/by-2-0) plus seeded synthetic data (the 65–79 / 80+ split, the year 2023, the
population grid, services and streets). It is deterministic: the same seed gives the same
files. Run ``python -m sqe_geo.demo build [FOLDER]`` to write them anew.
:mod:`sqe_geo.demo_geometry` holds the facts and quarters, :mod:`sqe_geo.demo_layers` the
synthetic layers.

The quarter boundaries are *schematic* (Voronoi cells of the centre points clipped to the
outline), not the official ones.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
import shapely

from sqe_geo._resources import data_folder
from sqe_geo.demo_geometry import CRS, build_quarters
from sqe_geo.demo_layers import (
    CELL_M,
    build_demographics,
    build_population_grid,
    build_services,
    build_streets,
)

#: The demo folder inside the repository.
DEMO_FOLDER = data_folder("sqe_geo.demo_data", "geodata")
#: The demo study file.
DEMO_STUDY = DEMO_FOLDER / "demo.toml"

SEED = 20260


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
    """Command line: ``python -m sqe_geo.demo build [FOLDER] [--seed N]``.

    Parameters
    ----------
    argv
        Arguments (default: the command line).
    """
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
