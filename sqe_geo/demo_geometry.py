"""The demo's geography: Karlsruhe's 27 Stadtteile, a simplified city outline, quarters.

Facts typed in from published sources: the Stadtteil centre points and the 2016 figures
published by the City of Karlsruhe under dl-de/by-2-0, and a simplified city outline. The
quarter boundaries built from them are *schematic* (Voronoi cells of the centre points
clipped to the outline), not the official ones. :mod:`sqe_geo.demo_layers` adds the
synthetic layers and :mod:`sqe_geo.demo` writes the demo files.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

CRS = "EPSG:25832"

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


def to_utm() -> Transformer:
    """The transformer from WGS 84 longitude/latitude to the demo's CRS (EPSG:25832)."""
    return Transformer.from_crs("EPSG:4326", CRS, always_xy=True)


def city_outline() -> shapely.Polygon:
    """Return the simplified city outline in EPSG:25832."""
    lon, lat = np.array(_OUTLINE).T
    x, y = to_utm().transform(lon, lat)
    return shapely.Polygon(np.column_stack([x, y]))


def build_quarters() -> gpd.GeoDataFrame:
    """Voronoi cells of the Stadtteil centres clipped to the outline (schematic)."""
    table = stadtteile()
    x, y = to_utm().transform(table["lon"].to_numpy(), table["lat"].to_numpy())
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


__all__ = ["CRS", "PLANNING_AREAS", "build_quarters", "city_outline", "stadtteile", "to_utm"]
