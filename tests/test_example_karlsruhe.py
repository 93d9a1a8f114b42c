"""examples/karlsruhe.toml runs on exactly the files `sqe-geo fetch karlsruhe` brings.

The built-in Karlsruhe source list is served from a local HTTP server (no test touches the
internet) with small files in the published formats: an OSM PBF with Stadtteil boundaries,
streets and services, and Zensus ZIPs holding 100 m and 1 km tables. `fetch` downloads them
and unpacks the 100 m tables; the example study is then run from a copy of the examples
folder beside the cache, as a user would run it from the repository.
"""

from __future__ import annotations

import dataclasses
import functools
import shutil
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from towns import write_town_osm, write_zensus

import sqe_geo
from sqe_geo.io.fetch import fetch
from sqe_geo.io.fetch_sources import SOURCE_LISTS

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "karlsruhe.toml"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve_files(folder: Path) -> None:
    """Write every file of the Karlsruhe source list into ``folder``."""
    raw = folder / "raw"
    raw.mkdir()
    zensus = write_zensus(raw)
    for source in SOURCE_LISTS["karlsruhe"]:
        target = folder / source.target_name
        if target.name.endswith(".osm.pbf"):
            write_town_osm(target, admin_level="9", neighbour=True)
        elif target.suffix == ".zip":
            (_, name), *_ = source.extract
            topic = {"Bevoelkerungszahl": "population", "10er": "age_10y", "5_Alters": "age_5"}
            key = next(v for k, v in topic.items() if k in name)
            with zipfile.ZipFile(target, "w") as zf:
                zf.write(zensus[key], f"{name}")
                # the ZIPs also hold the coarser grids, which must not be picked
                zf.writestr(name.replace("100m", "1km"), "GITTER_ID_1km;x_mp_1km;y_mp_1km\n")
        else:
            target.write_text('"Stadtteil","Jahr","Personen"\n"Altstadt","2021",5\n')


@pytest.fixture(scope="module")
def fetched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    served = tmp_path_factory.mktemp("served")
    _serve_files(served)
    handler = functools.partial(_Quiet, directory=str(served))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    sources = [
        dataclasses.replace(s, url=f"{base}/{s.target_name}") for s in SOURCE_LISTS["karlsruhe"]
    ]
    repo = tmp_path_factory.mktemp("repo")
    try:
        fetch(sources, repo / "data-cache", progress=False)
    finally:
        server.shutdown()
        server.server_close()
    (repo / "examples").mkdir()
    shutil.copy(EXAMPLE, repo / "examples" / EXAMPLE.name)
    return repo


def test_fetch_unpacks_the_100m_tables(fetched: Path):
    cache = fetched / "data-cache"
    for name in (
        "Zensus2022_Bevoelkerungszahl_100m-Gitter.csv",
        "Zensus2022_Alter_in_10er-Jahresgruppen_100m-Gitter.csv",
        "Zensus2022_Alter_in_5_Altersklassen_100m-Gitter.csv",
    ):
        assert (cache / name).stat().st_size > 100
    assert (cache / "fetch-record.json").is_file()


def test_the_example_study_runs_on_the_fetched_files(fetched: Path):
    study = sqe_geo.load_study(fetched / "examples" / "karlsruhe.toml")
    # the neighbouring municipality of the regional extract lies outside the city's bbox
    assert study.quarters["name"].tolist() == ["Altstadt", "Neustadt"]
    checks = {f.check: f for f in study.report.findings}
    assert checks["quarters_outside_bbox"].count == 1
    assert "demographics_from_zensus" in checks and "zensus_cell_key" in checks
    results = sqe_geo.run(study)
    city = results.values["city"].xs(2022, level="year").iloc[0]
    # 65+ comes from the 5-Altersklassen topic, 80+ from the 10-year groups
    assert city["share_older"] > 0 and city["share_oldest_old"] > 0
    assert "coverage_food_older" in results.catalog
    # the 20–64 group is not derivable from Zensus bands: the Altenquotient is left out
    assert "old_age_dependency" not in results.catalog
    not_derivable = results.report.by_check("zensus_age_groups_not_derivable")
    assert any("working_age" in f.message + " ".join(f.items) for f in not_derivable)
