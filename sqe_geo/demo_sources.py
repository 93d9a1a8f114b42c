"""The public Karlsruhe files the demo is derived from, read and checked.

The demo builder (:mod:`sqe_geo.demo`) reads these files from a folder given on the command
line — the layout of ``../shared/karlsruhe`` (see its ``SOURCES.md``) — and writes small
generated layers from them; it never copies a source file.

========================  ================================================  ==============
file                      what the demo takes from it                       licence
========================  ================================================  ==============
boundaries/stadtteile     the 27 Stadtteil polygons (number, name)          dl-de/by-2-0
population/stadtteile_    the published 2016 figures per Stadtteil          dl-de/by-2-0
2016_bevoelkerung         (total, 0–19, 20–64, 65+)
population/adresspunkte   where people live: density of address points      ODbL
_osm.csv                  per 100 m cell
services/orte_osm.json    supermarkets                                      ODbL
services/wochenmaerkte    weekly markets                                    MIT
services/baenke_osm       benches                                           ODbL
========================  ================================================  ==============
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sqe_geo._errors import InputDataError
from sqe_geo.i18n.messages import Message

CRS = "EPSG:25832"

#: Source files below the source folder.
FILES: dict[str, str] = {
    "stadtteile": "boundaries/stadtteile.geojson",
    "figures": "population/stadtteile_2016_bevoelkerung.geojson",
    "addresses": "population/adresspunkte_osm.csv",
    "places": "services/orte_osm.json",
    "markets": "services/wochenmaerkte.json",
    "benches": "services/baenke_osm.geojson",
}

#: Tolerance of the coverage simplification of the Stadtteil polygons (metres).
SIMPLIFY_M = 10.0

#: The published 2016 columns and the demo's names for them.
_FIGURES = {
    "Einwohner_2016": "total",
    "Alter_0-19_2016": "age_0_19",
    "Alter_20-64_2016": "age_20_64",
    "Alter_65+_2016": "age_65_plus",
}


class DemoSourceError(InputDataError):
    """A source file of the demo is missing or not as documented."""


@dataclass(frozen=True)
class DemoSources:
    """The public data of the demo, in EPSG:25832.

    Attributes
    ----------
    stadtteile
        ``quarter_id`` ("01"…"27"), ``name``, simplified polygon; shared borders stay shared.
    figures
        ``quarter_id``, ``name``, ``total``, ``age_0_19``, ``age_20_64``, ``age_65_plus`` as
        published for 2016.
    addresses
        Coordinates (n, 2) of the address points inside the city.
    supermarkets, markets, benches
        Points with a ``name`` column (benches: "Sitzbank").
    """

    stadtteile: gpd.GeoDataFrame
    figures: pd.DataFrame
    addresses: np.ndarray
    supermarkets: gpd.GeoDataFrame
    markets: gpd.GeoDataFrame
    benches: gpd.GeoDataFrame


def _path(folder: Path, key: str) -> Path:
    path = folder / FILES[key]
    if not path.is_file():
        raise DemoSourceError(Message("demo.source_missing", path=str(path)))
    return path


def _read_points(path: Path) -> gpd.GeoDataFrame:
    # the files are GeoJSON in WGS 84; some have no "crs" member
    frame = gpd.read_file(path)
    return frame.set_crs("EPSG:4326", allow_override=True).to_crs(CRS)


def read_stadtteile(folder: Path) -> gpd.GeoDataFrame:
    """The 27 Stadtteile, coverage-simplified by :data:`SIMPLIFY_M` (shared borders stay)."""
    frame = _read_points(_path(folder, "stadtteile"))
    frame = frame.sort_values("Stadtteilnummer", kind="stable").reset_index(drop=True)
    numbers = frame["Stadtteilnummer"].astype(int).tolist()
    if numbers != list(range(1, 28)):
        raise DemoSourceError(
            Message("demo.stadtteile_numbers", file=FILES["stadtteile"], numbers=str(numbers))
        )
    geometry = shapely.coverage_simplify(frame.geometry.to_numpy(), SIMPLIFY_M)
    return gpd.GeoDataFrame(
        {
            "quarter_id": [f"{n:02d}" for n in numbers],
            "name": frame["Stadtteilname"].astype(str).to_numpy(),
        },
        geometry=shapely.make_valid(geometry),
        crs=CRS,
    )


def read_figures(folder: Path) -> pd.DataFrame:
    """The published 2016 figures per Stadtteil, as published (the bands do not add up)."""
    path = _path(folder, "figures")
    columns = ["Stadtteilnummer", "Stadtteilname", *_FIGURES]
    frame = pd.DataFrame(gpd.read_file(path, columns=columns, ignore_geometry=True))
    missing = [c for c in ("Stadtteilnummer", "Stadtteilname", *_FIGURES) if c not in frame]
    if missing:
        raise DemoSourceError(
            Message("demo.columns_missing", file=FILES["figures"], columns=str(missing))
        )
    out = pd.DataFrame(
        {
            "quarter_id": [f"{int(n):02d}" for n in frame["Stadtteilnummer"]],
            "name": frame["Stadtteilname"].astype(str),
        }
    )
    for column, name in _FIGURES.items():
        out[name] = frame[column].astype(int).to_numpy()
    return out.sort_values("quarter_id", kind="stable").reset_index(drop=True)


def read_addresses(folder: Path, city: shapely.Geometry) -> np.ndarray:
    """Coordinates of the address points inside ``city`` (about 18 % lie outside)."""
    table = pd.read_csv(_path(folder, "addresses"))
    points = gpd.GeoSeries(gpd.points_from_xy(table["lon"], table["lat"]), crs="EPSG:4326")
    xy = shapely.get_coordinates(points.to_crs(CRS).to_numpy())
    shapely.prepare(city)
    return xy[shapely.contains_xy(city, xy[:, 0], xy[:, 1])]


def read_supermarkets(folder: Path) -> gpd.GeoDataFrame:
    """The supermarkets of the OSM place list (``subcategory`` ``supermarket``)."""
    with _path(folder, "places").open(encoding="utf-8") as fh:
        places = pd.DataFrame(json.load(fh))
    shops = places[places["subcategory"] == "supermarket"].sort_values("id", kind="stable")
    names = shops["name"].fillna("Supermarkt").astype(str).replace("", "Supermarkt")
    return gpd.GeoDataFrame(
        {"name": names.to_numpy()},
        geometry=gpd.points_from_xy(shops["lon"], shops["lat"]),
        crs="EPSG:4326",
    ).to_crs(CRS)


def read_markets(folder: Path) -> gpd.GeoDataFrame:
    """The weekly markets published by the city (title and location)."""
    frame = _read_points(_path(folder, "markets"))
    names = "Wochenmarkt " + frame["title"].astype(str)
    return gpd.GeoDataFrame({"name": names.to_numpy()}, geometry=frame.geometry, crs=CRS)


def read_benches(folder: Path) -> gpd.GeoDataFrame:
    """The benches of OpenStreetMap (``amenity=bench``)."""
    frame = _read_points(_path(folder, "benches"))
    points = frame.geometry.representative_point()
    return gpd.GeoDataFrame({"name": ["Sitzbank"] * len(frame)}, geometry=points, crs=CRS)


def read_sources(folder: Path) -> DemoSources:
    """Read and check every public file of the demo.

    Parameters
    ----------
    folder
        The folder with the public Karlsruhe files (layout of ``../shared/karlsruhe``).

    Raises
    ------
    DemoSourceError
        A file is missing or lacks a documented column, or the Stadtteile of the boundaries
        and of the figures differ.
    """
    folder = Path(folder)
    stadtteile = read_stadtteile(folder)
    figures = read_figures(folder)
    if figures["quarter_id"].tolist() != stadtteile["quarter_id"].tolist():
        raise DemoSourceError(
            Message("demo.different_stadtteile", a=FILES["figures"], b=FILES["stadtteile"])
        )
    city = shapely.union_all(stadtteile.geometry.to_numpy())
    return DemoSources(
        stadtteile=stadtteile,
        figures=figures,
        addresses=read_addresses(folder, city),
        supermarkets=read_supermarkets(folder),
        markets=read_markets(folder),
        benches=read_benches(folder),
    )


__all__ = ["CRS", "FILES", "DemoSourceError", "DemoSources", "read_sources"]
