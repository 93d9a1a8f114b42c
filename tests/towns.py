"""Generators of small towns and street grids, shared by tests.

:func:`write_town_osm` writes an OpenStreetMap XML file with quarters (administrative
boundaries), a street grid and services; :func:`write_zensus` writes Zensus 2022 100 m grid
CSVs (Bevölkerungszahl, Alter in 10er-Jahresgruppen, Alter in 5 Altersklassen) for the
cells under the town, in the published layout (``;``, en dash for zero, EPSG:3035 centres).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
from pyproj import Transformer
from shapely import LineString

LON0, LAT0 = 8.400, 49.000  # inside Karlsruhe
STEP = 0.001  # about 73 m east-west, 111 m north-south
COLS, ROWS = 10, 4  # street grid 10 × 4 blocks; the quarters split it at column 5
QUARTERS = [(0, 5, "Altstadt", "1"), (5, 10, "Neustadt", "2")]
TEN = ["Unter10", "a10bis19", "a20bis29", "a30bis39", "a40bis49", "a50bis59", "a60bis69",
       "a70bis79", "a80undaelter"]  # fmt: skip
FIVE = ["Unter18", "a18bis29", "a30bis49", "a50bis64", "a65undaelter"]


#: Origin of the synthetic street grids of :func:`random_streets` (UTM 32N, in Karlsruhe).
STREETS_X0, STREETS_Y0 = 456_000.0, 5_430_000.0


def random_streets(seed: int, n: int = 8, keep_share: float = 0.8) -> gpd.GeoDataFrame:
    """A jittered street grid with missing links, kinked streets and a detached island.

    Parameters
    ----------
    seed
        Seed of the random generator.
    n
        Grid nodes per side (80 m apart, jittered by up to 15 m).
    keep_share
        Share of grid links kept; the rest are missing links and dead ends.
    """
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    xy = np.stack([ii * 80.0, jj * 80.0], axis=-1) + rng.uniform(-15, 15, (n, n, 2))
    xy += np.array([STREETS_X0, STREETS_Y0])
    geoms = []
    for di, dj in ((1, 0), (0, 1)):
        a = xy[: n - di, : n - dj].reshape(-1, 2)
        b = xy[di:, dj:].reshape(-1, 2)
        keep = rng.random(a.shape[0]) < keep_share
        mid = (a + b) / 2 + rng.uniform(-8, 8, a.shape)
        geoms += [
            LineString([p, m, q]) for p, m, q in zip(a[keep], mid[keep], b[keep], strict=True)
        ]
    origin = np.array([STREETS_X0, STREETS_Y0])
    island = np.array([[900.0, 900], [960, 900], [960, 960]]) + origin
    geoms.append(LineString(island))
    return gpd.GeoDataFrame(geometry=geoms, crs="EPSG:25832")


def _tags(**tags: str) -> str:
    return "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())


def _node(nid: int, lon: float, lat: float, tags: str = "") -> str:
    return f'<node id="{nid}" version="1" lat="{lat:.6f}" lon="{lon:.6f}">{tags}</node>'


def write_town_osm(path: Path, *, admin_level: str = "10", neighbour: bool = False) -> Path:
    """Write the town as OSM XML (or PBF when ``path`` ends in ``.osm.pbf``).

    Parameters
    ----------
    path
        Target file.
    admin_level
        ``admin_level`` of the two quarters.
    neighbour
        Add a third quarter 20 km east (another municipality in a regional extract).
    """
    nodes, ways, relations = [], [], []

    def nid(c: int, r: int) -> int:
        return 1 + r * (COLS + 1) + c

    for r in range(ROWS + 1):
        for c in range(COLS + 1):
            nodes.append(_node(nid(c, r), LON0 + c * STEP, LAT0 + r * STEP))
    wid = 100
    for r in range(ROWS + 1):  # east-west streets
        refs = "".join(f'<nd ref="{nid(c, r)}"/>' for c in range(COLS + 1))
        ways.append(f'<way id="{wid}" version="1">{refs}{_tags(highway="residential")}</way>')
        wid += 1
    for c in range(COLS + 1):  # north-south streets
        refs = "".join(f'<nd ref="{nid(c, r)}"/>' for r in range(ROWS + 1))
        ways.append(f'<way id="{wid}" version="1">{refs}{_tags(highway="residential")}</way>')
        wid += 1
    rings = [
        ([nid(c0, 0), nid(c1, 0), nid(c1, ROWS), nid(c0, ROWS), nid(c0, 0)], name, ref)
        for c0, c1, name, ref in QUARTERS
    ]
    if neighbour:
        corners = [(0.3, 0.0), (0.31, 0.0), (0.31, 0.01), (0.3, 0.01)]
        ids = [7001, 7002, 7003, 7004]
        for n, (dx, dy) in zip(ids, corners, strict=True):
            nodes.append(_node(n, LON0 + dx, LAT0 + dy))
        rings.append(([*ids, ids[0]], "Nachbarort", "99"))
    for k, (ring, name, ref) in enumerate(rings):
        refs = "".join(f'<nd ref="{n}"/>' for n in ring)
        ways.append(f'<way id="{900 + k}" version="1">{refs}</way>')
        tags = _tags(
            type="boundary", boundary="administrative", admin_level=admin_level, name=name, ref=ref
        )
        relations.append(
            f'<relation id="{500 + k}" version="1"><member type="way" ref="{900 + k}" '
            f'role="outer"/>{tags}</relation>'
        )
    services = [
        (8001, 1.5, 2.0, _tags(shop="supermarket", name="Markt Altstadt")),
        (8002, 2.0, 1.0, _tags(amenity="pharmacy", name="Apotheke")),
        (8003, 8.0, 3.0, _tags(amenity="nursing_home", capacity="60", name="Heim")),
        (8004, 7.0, 2.0, _tags(amenity="bench")),
        (8005, 3.0, 3.0, _tags(highway="bus_stop", name="Markt")),
    ]
    for sid, c, r, tags in services:
        nodes.append(_node(sid, LON0 + c * STEP + 0.0002, LAT0 + r * STEP, tags))
    xml = path if path.name.endswith(".osm") else path.with_name("town-source.osm")
    xml.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\" generator=\"test\">\n"
        + "\n".join([*nodes, *ways, *relations])
        + "\n</osm>\n",
        encoding="utf-8",
    )
    if xml == path:
        return path
    writer = osmium.SimpleWriter(str(path))
    try:
        for obj in osmium.FileProcessor(str(xml)):
            writer.add(obj)
    finally:
        writer.close()
    xml.unlink()
    return path


def write_zensus(folder: Path, *, seed: int = 7) -> dict[str, Path]:
    """Write the three Zensus 100 m topics for every cell under the town.

    Returns
    -------
    dict
        ``{"population": …, "age_10y": …, "age_5": …}`` paths (the 10-year file in cp1252).
    """
    to3035 = Transformer.from_crs("EPSG:4326", "EPSG:3035", always_xy=True)
    xs, ys = to3035.transform(
        [LON0, LON0 + COLS * STEP, LON0, LON0 + COLS * STEP],
        [LAT0, LAT0, LAT0 + ROWS * STEP, LAT0 + ROWS * STEP],
    )
    e0, e1 = int(min(xs) // 100 * 100), int(max(xs) // 100 * 100)
    n0, n1 = int(min(ys) // 100 * 100), int(max(ys) // 100 * 100)
    rng = np.random.default_rng(seed)
    pop_rows, ten_rows, five_rows = [], [], []

    def text(v: int) -> str:
        return str(v) if v else "–"

    for e in range(e0, e1 + 100, 100):
        for n in range(n0, n1 + 100, 100):
            ten = rng.integers(0, 6, len(TEN))
            people = int(ten.sum())
            # 5 classes from a separate perturbation, as the topics are perturbed apart
            five = rng.integers(0, 8, len(FIVE))
            head = [f"CRS3035RES100mN{n}E{e}", str(e + 50), str(n + 50)]
            pop_rows.append(";".join([*head, text(people)]))
            ten_rows.append(";".join([*head, str(people), *[text(int(a)) for a in ten]]))
            five_rows.append(";".join([*head, str(int(five.sum())), *[text(int(a)) for a in five]]))
    header = "GITTER_ID_100m;x_mp_100m;y_mp_100m;"
    paths = {
        "population": folder / "Zensus2022_Bevoelkerungszahl_100m-Gitter.csv",
        "age_10y": folder / "Zensus2022_Alter_in_10er-Jahresgruppen_100m-Gitter.csv",
        "age_5": folder / "Zensus2022_Alter_in_5_Altersklassen_100m-Gitter.csv",
    }
    paths["population"].write_text(
        header + "Einwohner\n" + "\n".join(pop_rows) + "\n", encoding="utf-8"
    )
    paths["age_10y"].write_text(
        header + "Insgesamt_Bevoelkerung;" + ";".join(TEN) + "\n" + "\n".join(ten_rows) + "\n",
        encoding="cp1252",
    )
    paths["age_5"].write_text(
        header + "Insgesamt_Bevoelkerung;" + ";".join(FIVE) + "\n" + "\n".join(five_rows) + "\n",
        encoding="utf-8",
    )
    return paths
