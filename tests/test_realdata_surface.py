"""The accessibility surface of the real 2016 Stadtteile with address points and OSM supermarkets.

Reads ``../shared/karlsruhe`` in place (skipped with a reason when absent). The shared data
hold no routable city-wide street network, so distances are straight line × detour factor
(1.3), as for the other real-data accessibility figures; the oracle is a brute-force sum
over all address point × supermarket pairs.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_realdata_access import HILL_DISTRICTS, _run

from sqe_geo.access.accessibility import METHOD_STRAIGHT_LINE
from sqe_geo.access.snapping import points_xy
from sqe_geo.stats.aggregate import CITY_ID
from sqe_geo.surface import study_surface

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def results(karlsruhe, tmp_path_factory: pytest.TempPathFactory):
    return _run(karlsruhe, tmp_path_factory.mktemp("ka-surface"))


def test_surface_of_the_city(results):
    surface = study_surface(results.study)
    cells = surface.grid.cells
    assert surface.method == METHOD_STRAIGHT_LINE
    # 100 m cells over the 27 Stadtteile (about 173 km²), ids in the INSPIRE pattern
    assert 15_000 < len(cells) < 19_000
    assert cells["quarter_id"].nunique() == 27
    assert cells["cell_id"].str.match(r"^CRS25832RES100mN\d{7}E\d{6}$").all()
    minutes = surface.values["minutes_food"].to_numpy()
    # straight line × 1.3 to the nearest supermarket, NaN beyond the 5 km cut-off
    food = points_xy(results.study.services)
    nearest = np.hypot(*(surface.grid.centres[:, None, :] - food[None]).transpose(2, 0, 1))
    metres = nearest.min(axis=1) * 1.3
    expected = np.where(metres <= 5000.0, metres / 0.8 / 60, np.nan)
    np.testing.assert_allclose(minutes, expected, rtol=1e-9)
    assert np.isnan(minutes).any() and np.nanmin(minutes) < 2.0


def test_mean_score_per_stadtteil_against_brute_force(results):
    study = results.study
    acc = study.config.accessibility
    origins = results.origins[2016]
    food = study.services[study.services["category"] == "food"]
    o_xy, s_xy = points_xy(origins), points_xy(food)
    metres = np.hypot(*(o_xy[:, None, :] - s_xy[None, :, :]).transpose(2, 0, 1)) * 1.3
    sigma, reach = 5 * 60 * acc.walking_speed_mps, 15 * 60 * acc.walking_speed_mps
    score = np.where(metres <= reach, np.exp(-(metres**2) / (2 * sigma**2)), 0.0).sum(axis=1)
    older = origins["older"].to_numpy()
    by_quarter = origins.assign(w=older * score).groupby("quarter_id")[["w", "older"]].sum()
    values = results.values["quarter"].xs(2016, level="year")["gravity_food_older"]
    names = study.quarters.set_index("quarter_id")["name"]
    located = names[~names.isin(HILL_DISTRICTS)].index
    expected = by_quarter["w"] / by_quarter["older"]
    np.testing.assert_allclose(values[located], expected[located], rtol=1e-9)
    # not computed where no resident could be located (never 0)
    assert values[names[names.isin(HILL_DISTRICTS)].index].isna().all()
    assert values[names == "Innenstadt-West"].iloc[0] > values[names == "Wolfartsweier"].iloc[0]
    city = results.values["city"].loc[(CITY_ID, 2016), "gravity_food_older"]
    summed = by_quarter.loc[located]
    assert city == pytest.approx(summed["w"].sum() / summed["older"].sum())
