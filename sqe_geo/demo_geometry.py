"""The demo's geography: Karlsruhe's 27 real Stadtteile and their planning areas.

The Stadtteil polygons come from the city's published boundaries (read by
:mod:`sqe_geo.demo_sources`, simplified so shared borders stay shared); the grouping into six
planning areas is illustrative (no official assignment is public). :mod:`sqe_geo.demo_layers`
adds the derived and synthetic layers and :mod:`sqe_geo.demo` writes the demo files.
"""

from __future__ import annotations

import geopandas as gpd

from sqe_geo.demo_sources import CRS, DemoSources

#: Illustrative grouping of the 27 Stadtteile into 6 planning areas (not official).
PLANNING_AREAS: dict[str, list[str]] = {
    "West": ["08", "09", "11", "12"],
    "Innenstadt": ["01", "02", "03", "05"],
    "Süd": ["04", "13", "14", "15"],
    "Nord": ["06", "10", "26", "27"],
    "Ost": ["07", "16", "17", "18"],
    "Durlach und Bergdörfer": ["19", "20", "21", "22", "23", "24", "25"],
}


def build_quarters(sources: DemoSources) -> gpd.GeoDataFrame:
    """The real Stadtteile (simplified) with their illustrative planning area."""
    quarters = sources.stadtteile.copy()
    planning_area = {q: pa for pa, qs in PLANNING_AREAS.items() for q in qs}
    quarters.insert(2, "planning_area", quarters["quarter_id"].map(planning_area))
    return quarters


__all__ = ["CRS", "PLANNING_AREAS", "build_quarters"]
