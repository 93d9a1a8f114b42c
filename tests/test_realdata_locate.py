"""Best new supermarket sites on the real 2016 Karlsruhe data.

Reads ``../shared/karlsruhe`` in place (skipped with a reason when absent): the 27 real
Stadtteile with their published 2016 residents, OSM address points as residents' locations
and the 100 OSM supermarkets (as in test_realdata_access.py). The shared folder has no
routable city-wide street network (only footpaths without residential streets), so the
walking network is the demo's street layer of Karlsruhe (``geodata/streets.gpkg``).
Candidates are the address points of Innenstadt-Ost (quarter 01).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_realdata_access import _run

from sqe_geo.locate import LocationRequest, study_locations

pytestmark = pytest.mark.realdata

STREETS = Path(__file__).parents[1] / "geodata" / "streets.gpkg"


@pytest.fixture(scope="module")
def results(karlsruhe: Path, tmp_path_factory: pytest.TempPathFactory):
    extra = f'[network]\npath = "{STREETS}"\nlayer = "streets"\n'
    return _run(karlsruhe, tmp_path_factory.mktemp("ka-locate"), extra)


def _walks(results) -> tuple[np.ndarray, np.ndarray]:
    year = max(results.origins)
    origins = results.origins[year]
    walk = results.distances[year].loc[origins["origin_id"], "food"].to_numpy()
    return walk, origins["older"].to_numpy()


def test_covering_and_median_agree_with_the_accessibility_engine(results):
    walk, older = _walks(results)
    covering = study_locations(results, LocationRequest("food", k=3, within="01"))
    # the food threshold of the study is 500 m; disclosure control is off (whole persons)
    assert covering.attrs["covered_before"] == pytest.approx(older[walk <= 500].sum(), abs=0.5)
    assert covering["rank"].tolist() == [1, 2, 3] and set(covering["method"]) == {"exact"}
    request = LocationRequest("food", k=3, within="01", objective="median")
    median = study_locations(results, request)
    # the engine gives no distance (NaN) beyond the study's search cut-off: there the
    # p-median counts the 1,000 m penalty; the 2 locations off the network (under 1 older
    # resident each) that the p-median leaves out shift the mean by less than 0.1 m
    capped = np.where(np.isnan(walk), 1000.0, np.minimum(walk, 1000.0))
    expected = (older * capped).sum() / older.sum()
    assert median.attrs["mean_distance_before_m"] == pytest.approx(expected, abs=1.0)
    assert median.attrs["mean_distance_after_m"] < median.attrs["mean_distance_before_m"]


def test_supermarkets_without_places_count_as_unlimited(results):
    plain = study_locations(results, LocationRequest("food", k=2, within="01"))
    roomy = study_locations(results, LocationRequest("food", k=2, within="01", capacity=1e6))
    assert roomy.attrs["existing_without_capacity"] == 100  # no OSM supermarket has places
    assert roomy.attrs["covered_after"] == pytest.approx(plain.attrs["covered_after"], abs=1)
