"""Shared fixtures: the demo study, its results, and the real Karlsruhe data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

import sqe_geo
from sqe_geo.pipeline import Results
from sqe_geo.study import Study

# CI draws the same examples on every run (a run that landed stays green); a developer's
# run draws new ones each time. Set HYPOTHESIS_PROFILE=ci to reproduce CI locally.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

#: Real Karlsruhe data, read in place (never copied into the repository).
SHARED_KARLSRUHE = Path(__file__).resolve().parents[2] / "shared" / "karlsruhe"


@pytest.fixture(scope="session", autouse=True)
def _graph_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep built walking graphs of the test run out of the user's cache."""
    os.environ["SQE_GEO_CACHE"] = str(tmp_path_factory.mktemp("graph-cache"))


@pytest.fixture(scope="session")
def karlsruhe() -> Path:
    """The folder ../shared/karlsruhe; skips the test when it is absent."""
    if not SHARED_KARLSRUHE.is_dir():
        pytest.skip(f"real Karlsruhe data not available: {SHARED_KARLSRUHE} is absent")
    return SHARED_KARLSRUHE


@pytest.fixture(scope="session")
def demo_study() -> Study:
    """The embedded demo study, loaded once per test session."""
    return sqe_geo.load_study(sqe_geo.DEMO_STUDY)


@pytest.fixture(scope="session")
def demo_results(demo_study: Study) -> Results:
    """Indicators of the demo study with accessibility (computed once per session)."""
    return sqe_geo.run(demo_study)


@pytest.fixture(scope="session")
def demo_results_ageing(demo_study: Study) -> Results:
    """Indicators of the demo study without accessibility (fast)."""
    return sqe_geo.run(demo_study, accessibility=False)
