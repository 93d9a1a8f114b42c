"""Many municipalities at once: one study per municipality, on a Dask cluster.

A batch file (TOML) names a study template, an output folder and the municipalities::

    study = "gemeinden/{ags}/study.toml"   # one study file per municipality; {ags}, {name}
    out = "ergebnisse"                     # relative paths: from the batch file's folder
    accessibility = true

    [cluster]
    workers = 2                            # a LocalCluster of 2 worker processes, or
    # scheduler = "tcp://10.0.0.5:8786"    # the scheduler of a running cluster

    [[municipalities]]
    ags = "08212000"
    name = "Karlsruhe"

Each municipality is one task that does exactly what ``sqe-geo run`` does
(:func:`~sqe_geo.study.load_study`, :func:`~sqe_geo.pipeline.run`,
:func:`~sqe_geo.outputs.export.write_outputs` into ``out/municipalities/<ags>/``), so the
disclosure control and the exports are those of a single run. A municipality is *done* when
its folder holds the manifest of a complete set of outputs whose checksums match:
``write_outputs`` publishes the set in one rename, so a crash leaves no half-done folder, and
a later run skips it (resume). A failure is caught in the task: the reason goes into
``out/batch_report.csv``, the traceback into ``out/logs/<ags>.log``, and the other
municipalities go on. The protected tables of all done municipalities are then combined per
level (:mod:`sqe_geo.batch_tables`). Dask (``pip install 'sqe-geo[batch]'``) is imported only
when a cluster is used.
"""

from __future__ import annotations

import time
import tomllib
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from string import Formatter
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator

from sqe_geo._errors import (
    ExportError,
    MissingDependencyError,
    SqeGeoError,
    StudyConfigError,
)
from sqe_geo.batch_tables import combine_levels, is_done, write_log, write_report
from sqe_geo.config import validation_message
from sqe_geo.config_layers import ConfigModel
from sqe_geo.i18n.messages import Language, Message, use_language

if TYPE_CHECKING:
    from distributed import Client

#: The placeholders a study template may hold.
PLACEHOLDERS = ("ags", "name")

#: Status of a municipality after a batch run.
Status = Literal["done", "failed", "skipped"]


class Municipality(ConfigModel):
    """One municipality: its key (AGS, ARS or any folder-safe key) and its name."""

    ags: Annotated[str, Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z_-]{0,39}$")]
    name: str = ""


class ClusterConfig(ConfigModel):
    """Where the tasks run: a running cluster's scheduler, else a LocalCluster."""

    scheduler: str | None = None
    workers: Annotated[int, Field(ge=1, le=512)] = 2
    threads_per_worker: Annotated[int, Field(ge=1, le=64)] = 1
    #: Seconds to wait for the scheduler before giving up.
    timeout: Annotated[float, Field(gt=0, le=3600)] = 20.0


class BatchConfig(ConfigModel):
    """A validated batch file with absolute paths."""

    study: str
    out: Path
    municipalities: Annotated[list[Municipality], Field(min_length=1)]
    accessibility: bool = True
    cluster: ClusterConfig = ClusterConfig()
    folder: Path = Path()

    @field_validator("study")
    @classmethod
    def _template(cls, value: str) -> str:
        fields = [f for _, f, spec, conv in Formatter().parse(value) if f is not None]
        unknown = [f for f in fields if f not in PLACEHOLDERS]
        if unknown:
            raise StudyConfigError(
                Message("batch.placeholder_unknown", field=unknown[0], known="{ags}, {name}")
            )
        if not fields:
            raise StudyConfigError(
                Message("batch.placeholder_missing", example='"gemeinden/{ags}/study.toml"')
            )
        return value

    @field_validator("municipalities")
    @classmethod
    def _unique(cls, value: list[Municipality]) -> list[Municipality]:
        seen: set[str] = set()
        for item in value:
            if item.ags in seen:
                raise StudyConfigError(Message("batch.ags_twice", ags=item.ags))
            seen.add(item.ags)
        return value

    def study_path(self, municipality: Municipality) -> Path:
        """The study file of one municipality (the template filled in)."""
        filled = self.study.format(ags=municipality.ags, name=municipality.name)
        return self.folder / filled

    def municipality_out(self, municipality: Municipality) -> Path:
        """The output folder of one municipality: ``out/municipalities/<ags>``."""
        return self.out / "municipalities" / municipality.ags


def load_batch(path: str | Path) -> BatchConfig:
    """Read and validate a batch file.

    Parameters
    ----------
    path
        The TOML batch file.

    Returns
    -------
    BatchConfig
        The batch with the study template and ``out`` relative to the file's folder.

    Raises
    ------
    StudyConfigError
        If the file is missing or not TOML, or a key is unknown, missing or invalid (the
        message names the key).
    """
    path = Path(path)
    if not path.is_file():
        raise StudyConfigError(Message("batch.missing", path=str(path)))
    try:
        data: dict[str, Any] = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise StudyConfigError(
            Message("batch.not_toml", path=str(path), error=str(exc)[:200])
        ) from None
    folder = path.resolve().parent
    data["folder"] = str(folder)
    if isinstance(data.get("out"), str):
        data["out"] = str(folder / data["out"])
    try:
        return BatchConfig.model_validate(data)
    except ValidationError as exc:
        raise StudyConfigError(validation_message(path, exc, head="batch.invalid")) from None


def with_cluster(
    config: BatchConfig, path: Path, scheduler: str | None, workers: int | None
) -> BatchConfig:
    """The batch with the scheduler or worker count of the command line, validated.

    Parameters
    ----------
    config
        The batch as read from ``path``.
    path
        The batch file (named in errors).
    scheduler, workers
        The command-line values; None keeps the batch file's.

    Returns
    -------
    BatchConfig
        A copy with the new ``[cluster]``.

    Raises
    ------
    StudyConfigError
        If a value is out of range (e.g. ``--workers 0``).
    """
    update = {"scheduler": scheduler, "workers": workers}
    data = config.cluster.model_dump() | {k: v for k, v in update.items() if v is not None}
    try:
        cluster = ClusterConfig.model_validate(data)
    except ValidationError as exc:
        raise StudyConfigError(validation_message(path, exc, head="batch.invalid")) from None
    return config.model_copy(update={"cluster": cluster})


@dataclass(frozen=True)
class Job:
    """One municipality's task: what a worker needs (plain, picklable values)."""

    ags: str
    name: str
    study: Path
    out: Path
    accessibility: bool = True
    language: Language = "de"


@dataclass(frozen=True)
class Outcome:
    """How one municipality's task ended."""

    ags: str
    name: str
    status: Status
    seconds: float = 0.0
    reason: str = ""
    traceback: str = ""


def run_municipality(job: Job) -> Outcome:
    """Run one municipality as ``sqe-geo run`` does; never raises for the study's faults.

    Parameters
    ----------
    job
        The municipality, its study file and output folder.

    Returns
    -------
    Outcome
        ``done``, or ``failed`` with the reason (in ``job.language``) and the traceback.
    """
    from sqe_geo.outputs.export import check_output_folder, write_outputs
    from sqe_geo.pipeline import run
    from sqe_geo.study import load_study

    started = time.perf_counter()
    with use_language(job.language):
        try:
            study = load_study(job.study)
            check_output_folder(job.out, study.config.input_paths())
            results = run(study, accessibility=job.accessibility)
            write_outputs(results, job.out, language=job.language)
        except Exception as exc:  # one municipality's failure must not stop the others
            reason = str(exc) if isinstance(exc, SqeGeoError) else f"{type(exc).__name__}: {exc}"
            return Outcome(
                job.ags,
                job.name,
                "failed",
                time.perf_counter() - started,
                reason,
                traceback.format_exc(),
            )
    return Outcome(job.ags, job.name, "done", time.perf_counter() - started)


@dataclass
class BatchSummary:
    """The outcome of every municipality, in the order of the batch file, and the files."""

    outcomes: list[Outcome]
    paths: list[Path] = field(default_factory=list)

    def count(self, status: Status) -> int:
        """How many municipalities ended with ``status``."""
        return sum(o.status == status for o in self.outcomes)


#: Called after each municipality: its outcome, how many are finished, how many in all.
Progress = Callable[[Outcome, int, int], None]


def run_batch(
    config: BatchConfig,
    *,
    language: Language = "de",
    redo: bool = False,
    serial: bool = False,
    progress: Progress | None = None,
) -> BatchSummary:
    """Run every municipality that is not done yet, then combine the tables per level.

    Parameters
    ----------
    config
        The batch (:func:`load_batch`).
    language
        Language of the reasons, the XLSX labels and the German tables.
    redo
        Run municipalities that are already done, too.
    serial
        A plain loop in this process instead of Dask (the benchmark's baseline).
    progress
        Called after each municipality (skipped ones included).

    Returns
    -------
    BatchSummary
        Outcome per municipality; the report, logs and combined tables written.

    Raises
    ------
    MissingDependencyError
        When a cluster is needed and ``dask[distributed]`` is not installed.
    """
    jobs = {m.ags: _job(config, m, language) for m in config.municipalities}
    finished: dict[str, Outcome] = {}

    def record(outcome: Outcome) -> None:
        finished[outcome.ags] = outcome
        if progress is not None:
            progress(outcome, len(finished), len(jobs))

    pending = []
    for job in jobs.values():
        if not redo and is_done(job.out):
            record(Outcome(job.ags, job.name, "skipped"))
        else:
            pending.append(job)
    if serial:
        for job in pending:
            record(run_municipality(job))
    elif pending:
        with _client(config.cluster) as client:
            for outcome in _submit(client, pending):
                record(outcome)
    outcomes = [finished[ags] for ags in jobs]
    done = [(o.ags, o.name, jobs[o.ags].out) for o in outcomes if o.status != "failed"]
    try:
        for outcome in outcomes:
            trace = outcome.traceback if outcome.status == "failed" else None
            write_log(config.out / "logs", outcome.ags, trace)
        paths = [write_report(config.out, [asdict(o) for o in outcomes])]
        paths += combine_levels(done, config.out, language=language)
    except OSError as exc:
        raise ExportError(
            Message("batch.cannot_write", out=str(config.out), error=str(exc))
        ) from None
    return BatchSummary(outcomes, paths)


def _job(config: BatchConfig, municipality: Municipality, language: Language) -> Job:
    return Job(
        municipality.ags,
        municipality.name,
        config.study_path(municipality),
        config.municipality_out(municipality),
        config.accessibility,
        language,
    )


def _submit(client: Client, jobs: list[Job]) -> Iterator[Outcome]:
    """One task per job; outcomes as they finish (a lost worker fails its municipality)."""
    from distributed import as_completed

    futures = {client.submit(run_municipality, job, pure=False): job for job in jobs}
    for future in as_completed(futures):
        job = futures[future]
        try:
            outcome: Outcome = future.result()
        except Exception as exc:  # the worker died (memory, a crash): the task never returned
            tb = "".join(traceback.format_exception(exc))
            outcome = Outcome(job.ags, job.name, "failed", 0.0, f"{type(exc).__name__}: {exc}", tb)
        yield outcome


@contextmanager
def _client(cluster: ClusterConfig) -> Iterator[Client]:
    """A Dask client of the scheduler in ``cluster``, or of a new LocalCluster."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise MissingDependencyError(Message("batch.missing_dask")) from None
    if cluster.scheduler is not None:
        try:
            remote = Client(cluster.scheduler, timeout=cluster.timeout)
        except (OSError, ValueError) as exc:  # refused, timed out, or no address at all
            raise StudyConfigError(
                Message("batch.scheduler_unreachable", address=cluster.scheduler, error=str(exc))
            ) from None
        with remote as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=cluster.workers,
            threads_per_worker=cluster.threads_per_worker,
            processes=True,
            dashboard_address=None,
        ) as local,
        Client(local) as client,
    ):
        yield client
