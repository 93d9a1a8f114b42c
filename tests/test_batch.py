"""``sqe-geo batch``: generated towns on a LocalCluster of 2 workers, one of them broken.

The oracle of the combined tables is ``sqe-geo run`` of each town on its own: every row of a
town in a combined table is, cell for cell, the row of its single run, with the town's key in
front. The broken town's residents table lacks the column its study names; its failure is
reported (reason, traceback in a log) and the other towns are done. A second run skips the
done towns without touching their files (resume), a changed output file is detected, and a
fixed town is done on the next run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from batch_towns import write_town, write_towns

from sqe_geo._errors import ExportError, MissingDependencyError, StudyConfigError
from sqe_geo.batch import load_batch, run_batch
from sqe_geo.batch_tables import LEVEL_FILES, REPORT, WORKBOOK, is_done
from sqe_geo.cli import main
from sqe_geo.i18n.messages import use_language
from sqe_geo.outputs.export import MANIFEST

distributed = pytest.importorskip("distributed", reason="dask[distributed] (extra 'batch')")

N_TOWNS = 4
BROKEN = 2  # index of the town without the column "Einwohner"


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Four towns, the third broken, run once through the CLI on 2 local workers."""
    root = tmp_path_factory.mktemp("batch")
    path, keys = write_towns(root, N_TOWNS, broken=(BROKEN,), workers=2)
    assert main(["--lang", "en", "batch", str(path)]) == 1  # one municipality failed
    return path, keys


def _out(batch: tuple[Path, list[str]]) -> Path:
    return batch[0].parent / "ergebnisse"


def _report(batch: tuple[Path, list[str]]) -> pd.DataFrame:
    return pd.read_csv(_out(batch) / REPORT, dtype=str, keep_default_na=False)


def test_the_broken_town_is_reported_and_the_others_are_done(batch):
    _, keys = batch
    report = _report(batch)
    assert report["ags"].tolist() == keys  # the order of the batch file
    expected = ["failed" if k == BROKEN else "done" for k in range(N_TOWNS)]
    assert report["status"].tolist() == expected
    reason = report.loc[BROKEN, "reason"]
    assert "Einwohner" in reason and "einwohner.csv" in reason  # names column and file
    log = (_out(batch) / "logs" / f"{keys[BROKEN]}.log").read_text(encoding="utf-8")
    assert log.startswith("Traceback") and "InputDataError" in log
    assert [p.name for p in (_out(batch) / "logs").iterdir()] == [f"{keys[BROKEN]}.log"]
    for k, ags in enumerate(keys):
        assert is_done(_out(batch) / "municipalities" / ags) is (k != BROKEN)


@pytest.fixture(scope="module")
def single_runs(batch, tmp_path_factory) -> dict[str, Path]:
    """``sqe-geo run`` of the first and the last town on their own: the oracle."""
    _, keys = batch
    folders = {}
    for ags in (keys[0], keys[-1]):
        folders[ags] = tmp_path_factory.mktemp(f"single-{ags}")
        study = _out(batch).parent / "gemeinden" / ags / "study.toml"
        assert main(["run", str(study), "--out", str(folders[ags])]) == 0
    return folders


@pytest.mark.parametrize("level", list(LEVEL_FILES))
@pytest.mark.parametrize("german", [False, True])
def test_combined_tables_are_the_single_runs_with_the_key(batch, single_runs, level, german):
    _, keys = batch
    name = LEVEL_FILES[level][0 if german else 1]
    sep, enc = (";", "utf-8-sig") if german else (",", "utf-8")
    key_columns = ["AGS", "Gemeinde"] if german else ["ags", "municipality"]

    def read(path: Path) -> pd.DataFrame:
        return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding=enc)

    combined = read(_out(batch) / name)
    good = [ags for k, ags in enumerate(keys) if k != BROKEN]
    assert list(dict.fromkeys(combined[key_columns[0]])) == good
    for ags, folder in single_runs.items():
        rows = combined[combined[key_columns[0]] == ags]
        assert (rows[key_columns[1]] == f"Musterstadt {keys.index(ags)}").all()
        pd.testing.assert_frame_equal(
            rows.drop(columns=key_columns).reset_index(drop=True), read(folder / name)
        )


def test_the_workbook_has_a_sheet_per_level(batch):
    sheets = pd.read_excel(_out(batch) / WORKBOOK, sheet_name=None, dtype={"ags": str})
    assert list(sheets) == ["Quarters", "Planning areas", "City"]
    assert set(sheets["City"]["ags"]) == {ags for k, ags in enumerate(batch[1]) if k != BROKEN}


def test_resume_skips_done_towns_redoes_changed_ones_and_picks_up_a_fixed_one(batch, capsys):
    path, keys = batch
    out = _out(batch)
    manifests = {ags: (out / "municipalities" / ags / MANIFEST) for ags in keys}
    before = {ags: m.stat().st_mtime_ns for ags, m in manifests.items() if m.exists()}
    # a changed output file: that town is no longer done
    changed = out / "municipalities" / keys[1] / LEVEL_FILES["city"][1]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    # the broken town is fixed
    write_town(path.parent / "gemeinden" / keys[BROKEN], keys[BROKEN], "x", BROKEN)
    capsys.readouterr()
    assert main(["--lang", "en", "batch", str(path)]) == 0
    err = capsys.readouterr().err
    assert f"{keys[0]} Musterstadt 0: already done" in err
    assert "4/4" in err
    report = _report(batch)
    assert report["status"].tolist() == ["skipped", "done", "done", "skipped"]
    for ags in (keys[0], keys[3]):  # untouched
        assert manifests[ags].stat().st_mtime_ns == before[ags]
    assert all(is_done(out / "municipalities" / ags) for ags in keys)
    assert not (out / "logs" / f"{keys[BROKEN]}.log").exists()
    city = pd.read_csv(out / "city.csv", dtype=str)
    assert list(dict.fromkeys(city["ags"])) == keys


def test_a_running_scheduler_is_used_by_address(tmp_path, capsys):
    path, _ = write_towns(tmp_path, 2, workers=1)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        assert main(["batch", str(path), "--scheduler", cluster.scheduler_address]) == 0
        with distributed.Client(cluster) as client:
            # the tasks ran on this cluster (its scheduler knows the task prefix)
            prefixes = client.run_on_scheduler(
                lambda dask_scheduler: sorted(dask_scheduler.task_prefixes)
            )
    assert "run_municipality" in prefixes
    report = pd.read_csv(tmp_path / "ergebnisse" / REPORT, dtype=str)
    assert report["status"].tolist() == ["done", "done"]


def test_an_unreachable_scheduler_is_a_user_error(tmp_path, capsys):
    path, _ = write_towns(tmp_path, 1)
    path.write_text(
        path.read_text(encoding="utf-8").replace("[cluster]", "[cluster]\ntimeout = 1"),
        encoding="utf-8",
    )
    assert main(["--lang", "en", "batch", str(path), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "Cannot reach the Dask scheduler tcp://127.0.0.1:9" in err
    assert "Traceback" not in err


BAD_BATCHES = [
    ('out = "o"\n[[municipalities]]\nags = "1"\n', "study", "required key", "Pflichtschlüssel"),
    ('study = "s.toml"\nout = "o"\n[[municipalities]]\nags = "1"\n', "study", "no placeholder",
     "keinen Platzhalter"),
    ('study = "{land}/s.toml"\nout = "o"\n[[municipalities]]\nags = "1"\n', "study",
     "unknown placeholder {land}", "unbekannter Platzhalter {land}"),
    ('study = "{ags}.toml"\nout = "o"\n[[municipalities]]\nags = "1"\n[[municipalities]]\n'
     'ags = "1"\n', "municipalities", "appears twice", "zweimal"),
    ('study = "{ags}.toml"\nout = "o"\n[[municipalities]]\nags = "../x"\n', "municipalities.0.ags",
     "", ""),
    ('study = "{ags}.toml"\nout = "o"\nworkers = 2\n[[municipalities]]\nags = "1"\n', "workers",
     "unknown key", "unbekannter Schlüssel"),
    ('study = "{ags}.toml"\nout = "o"\nmunicipalities = []\n', "municipalities", "", ""),
    ('study = "{ags}.toml"\nout = "o"\n[cluster]\nworkers = 0\n[[municipalities]]\nags = "1"\n',
     "cluster.workers", "", ""),
]  # fmt: skip


@pytest.mark.parametrize(("content", "key", "english", "german"), BAD_BATCHES)
def test_batch_file_errors_name_the_key_in_both_languages(tmp_path, content, key, english, german):
    path = tmp_path / "batch.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(StudyConfigError) as info:
        load_batch(path)
    for language, head, problem in (
        ("en", "Batch file", english),
        ("de", "Die Batch-Datei", german),
    ):
        with use_language(language):
            message = str(info.value)
        assert message.startswith(f"{head} {path}")
        line = next(x for x in message.splitlines() if x.startswith(f"  - {key}: "))
        assert problem in line


def test_cli_batch_file_errors_exit_2(tmp_path, capsys):
    assert main(["batch", str(tmp_path / "fehlt.toml")]) == 2
    assert "Die Batch-Datei" in capsys.readouterr().err
    path, _ = write_towns(tmp_path, 1)
    assert main(["--lang", "en", "batch", str(path), "--workers", "0"]) == 2
    assert "  - workers: " in capsys.readouterr().err


def test_without_dask_the_batch_names_the_extra(tmp_path, monkeypatch):
    path, _ = write_towns(tmp_path, 1)
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(MissingDependencyError) as info, use_language("en"):
        run_batch(load_batch(path))
    with use_language("en"):
        assert "pip install 'sqe-geo[batch]'" in str(info.value)
    # the plain loop needs no Dask
    summary = run_batch(load_batch(path), serial=True)
    assert [o.status for o in summary.outcomes] == ["done"]


def test_the_core_and_the_cli_import_without_dask():
    code = (
        "import sys\n"
        "sys.modules['dask'] = sys.modules['distributed'] = None\n"
        "import sqe_geo, sqe_geo.batch, sqe_geo.batch_tables\n"
        "from sqe_geo.cli import main\n"
        "print(main(['indicators']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("0")


def test_an_out_that_cannot_be_written_is_a_user_error(tmp_path):
    path, _ = write_towns(tmp_path, 1)
    (tmp_path / "ergebnisse").write_text("a file where the output folder should be")
    with pytest.raises(ExportError) as info, use_language("en"):
        run_batch(load_batch(path), serial=True)
    with use_language("de"):
        assert "ergebnisse" in str(info.value) and "fertige Gemeinden" in str(info.value)
