"""The demo's services: real food stores and benches, synthetic other categories.

Real (from :mod:`sqe_geo.demo_sources`): supermarkets (OpenStreetMap), weekly markets (city)
and benches (OpenStreetMap). Synthetic, from the seeded generator: pharmacies, GPs, transit
stops, meeting places and care homes placed by the population grid, and one food store in
each Stadtteil the OSM place list has none in. The column ``Quelle`` names the source of
every point and ``synthetisch`` marks the invented ones.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely

from sqe_geo.demo_sources import CRS, DemoSources

#: Synthetic services: category -> (count, how strongly they follow population density).
_SERVICES: dict[str, tuple[int, float]] = {
    "pharmacy": (65, 1.0),
    "gp": (190, 1.0),
    "transit_stop": (550, 0.5),
    "meeting_place": (40, 0.8),
    "care_home": (34, 0.7),
}
_NAME_PATTERNS: dict[str, list[str]] = {
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
}
#: Where the real services come from (column ``Quelle`` of the services layer).
OSM_SOURCE = "OpenStreetMap-Mitwirkende (ODbL)"
MARKETS_SOURCE = "Stadt Karlsruhe, Wochenmärkte"
SYNTHETIC_SOURCE = "synthetisch (Demo)"
_SURNAMES = [
    "Maier", "Schmidt", "Weber", "Fischer", "Wagner", "Becker", "Schulz", "Hoffmann",
    "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Zimmermann", "Braun",
]  # fmt: skip


def _synthetic_services(
    quarters: gpd.GeoDataFrame,
    total: np.ndarray,
    transform: rasterio.Affine,
    rng: np.random.Generator,
) -> list[gpd.GeoDataFrame]:
    """Synthetic points of the categories without open data, denser where more people live."""
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
            _services(category, names, gpd.points_from_xy(px, py), SYNTHETIC_SOURCE, places)
        )
    return frames


def _services(
    category: str,
    names: list[str] | np.ndarray,
    points: object,
    source: str | list[str],
    places: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    n = len(names)
    sources = [source] * n if isinstance(source, str) else source
    return gpd.GeoDataFrame(
        {
            "service_id": [f"{category}-{i + 1:04d}" for i in range(n)],
            "category": category,
            "name": list(names),
            "places": np.full(n, np.nan) if places is None else places,
            "Quelle": sources,
            "synthetisch": [s == SYNTHETIC_SOURCE for s in sources],
        },
        geometry=points,
        crs=CRS,
    )


def _food_where_the_source_has_none(
    quarters: gpd.GeoDataFrame,
    food: gpd.GeoDataFrame,
    total: np.ndarray,
    transform: rasterio.Affine,
) -> gpd.GeoDataFrame:
    """One synthetic food store in each Stadtteil without a real one, at its densest cell.

    The OSM place list does not cover the hill districts (and a few others); a Stadtteil
    without any food store would show the gap of the source as if it were the city's.
    """
    has_food = quarters.geometry.apply(
        lambda area: bool(shapely.contains(area, food.geometry.to_numpy()).any())
    )
    r, c = np.nonzero(total)
    xs, ys = (np.asarray(v) for v in rasterio.transform.xy(transform, r, c))
    rows: list[dict[str, object]] = []
    for _, quarter in quarters[~has_food.to_numpy()].iterrows():
        inside = shapely.contains_xy(quarter.geometry, xs, ys)
        best = np.flatnonzero(inside)[np.argmax(total[r[inside], c[inside]])]
        rows.append(
            {
                "name": f"Lebensmittelmarkt {quarter['name']}",
                "source": SYNTHETIC_SOURCE,
                "geometry": shapely.Point(xs[best], ys[best]),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


def build_services(
    quarters: gpd.GeoDataFrame,
    total: np.ndarray,
    transform: rasterio.Affine,
    rng: np.random.Generator,
    sources: DemoSources,
) -> gpd.GeoDataFrame:
    """Real food stores (supermarkets, weekly markets) and benches, synthetic others.

    Real points outside the city are left out; the column ``Quelle`` names the source of
    each point and ``synthetisch`` marks the synthetic ones.

    Parameters
    ----------
    quarters
        The Stadtteile.
    total
        The ``total`` band of the population grid (where synthetic services are placed).
    transform
        Its affine transform.
    rng
        The seeded random generator (drawn from in a fixed order).
    sources
        The public data (supermarkets, markets, benches).
    """
    city = shapely.union_all(quarters.geometry.to_numpy())
    shapely.prepare(city)
    food = pd.concat([sources.supermarkets, sources.markets], ignore_index=True)
    food = food[shapely.contains(city, food.geometry.to_numpy())].reset_index(drop=True)
    food["source"] = [
        MARKETS_SOURCE if name.startswith("Wochenmarkt") else OSM_SOURCE for name in food["name"]
    ]
    food = pd.concat([food, _food_where_the_source_has_none(quarters, food, total, transform)])
    benches = sources.benches[shapely.contains(city, sources.benches.geometry.to_numpy())]
    frames = [
        _services(
            "food",
            food["name"].to_numpy(),
            food.geometry.to_numpy(),
            food["source"].tolist(),
        ),
        *_synthetic_services(quarters, total, transform, rng),
        _services("bench", benches["name"].to_numpy(), benches.geometry.to_numpy(), OSM_SOURCE),
    ]
    return pd.concat(frames, ignore_index=True)


__all__ = ["MARKETS_SOURCE", "OSM_SOURCE", "SYNTHETIC_SOURCE", "build_services"]
