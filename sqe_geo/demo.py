"""The embedded demo study: Karlsruhe in ``geodata/``, real wherever open data exists.

The builder derives every demo file from the public Karlsruhe files in a source folder
(:mod:`sqe_geo.demo_sources`): the real 27 Stadtteil polygons (simplified), the 2016 figures
as published, a 100 m population grid shaped by real address points and scaled exactly to
the published figures, real supermarkets, weekly markets and benches. Synthetic, from a
seeded generator: the 65–79 / 80+ split, the year 2023, pharmacies, GPs, transit stops,
meeting places, care homes and the walking network. It is deterministic: the same sources
and seed give the same files. Run
``python -m sqe_geo.demo build --sources ../shared/karlsruhe [FOLDER]`` to write them anew;
it never copies a source file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
import shapely

from sqe_geo._errors import SqeGeoError
from sqe_geo._resources import DEMO_FOLDER, DEMO_STUDY
from sqe_geo.demo_geometry import CRS, build_quarters
from sqe_geo.demo_layers import (
    CELL_M,
    build_demographics,
    build_population_grid,
    build_streets,
)
from sqe_geo.demo_services import build_services
from sqe_geo.demo_sources import read_sources

SEED = 20260


#: The year of the population grid: the published figures.
GRID_YEAR = 2016


def build(sources_folder: Path, folder: Path = DEMO_FOLDER, seed: int = SEED) -> list[Path]:
    """Write the demo study into ``folder`` and return the written files.

    Parameters
    ----------
    sources_folder
        The public Karlsruhe files (layout of ``../shared/karlsruhe``).
    folder
        Target folder (``geodata/`` by default). Existing demo files are overwritten.
    seed
        Seed of the random generator; the same seed gives the same files.

    Raises
    ------
    DemoSourceError
        A source file is missing or not as documented.
    """
    sources = read_sources(sources_folder)
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    quarters = build_quarters(sources)
    demographics = build_demographics(sources.figures, rng)
    rows_of_year = demographics[demographics["Jahr"] == GRID_YEAR].set_index("Stadtteil_Nr")
    counts = pd.DataFrame(
        {
            "total": rows_of_year["Einwohner"],
            "young": rows_of_year["Alter_0_19"],
            "working_age": rows_of_year["Alter_20_64"],
            "older": rows_of_year["Alter_65_plus"],
            "young_old": rows_of_year["Alter_65_79"],
            "oldest_old": rows_of_year["Alter_80_plus"],
        }
    )
    stack, transform, band_names, even = build_population_grid(quarters, counts, sources.addresses)
    rows, cols = np.nonzero(stack[0])
    xs, ys = rasterio.transform.xy(transform, rows, cols)
    inhabited = shapely.union_all(
        shapely.buffer(shapely.points(np.asarray(xs), np.asarray(ys)), CELL_M, quad_segs=1)
    )
    streets = build_streets(quarters, inhabited, rng)
    services = build_services(quarters, stack[0], transform, rng, sources)

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
            year=str(GRID_YEAR),
            source="published 2016 figures (Stadt Karlsruhe, dl-de/by-2-0) spread by the "
            "density of OSM address points (ODbL)",
            even_spread_quarters=",".join(even),
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
    """Command line: ``python -m sqe_geo.demo build --sources DIR [FOLDER] [--seed N]``.

    Parameters
    ----------
    argv
        Arguments (default: the command line).
    """
    parser = argparse.ArgumentParser(prog="python -m sqe_geo.demo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write the demo study files")
    b.add_argument("folder", nargs="?", type=Path, default=DEMO_FOLDER)
    b.add_argument(
        "--sources",
        type=Path,
        required=True,
        help="folder with the public Karlsruhe files (layout of ../shared/karlsruhe)",
    )
    b.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    try:
        written = build(args.sources, args.folder, args.seed)
    except SqeGeoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path} ({path.stat().st_size / 1e3:.0f} kB)")
    return 0


__all__ = ["DEMO_FOLDER", "DEMO_STUDY", "GRID_YEAR", "SEED", "build", "main"]


if __name__ == "__main__":
    sys.exit(main())
