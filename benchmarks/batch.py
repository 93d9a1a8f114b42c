"""Benchmark of ``sqe-geo batch``: municipalities per minute, plain loop vs Dask 1 and 2 workers.

Generates ``--towns`` small municipalities (the generated towns of the tests: two quarters, a
street grid, services, a Zensus grid; each about 1–2 s alone) and runs the whole batch
(``run_batch``, all municipalities redone, combined tables written) three ways:

* ``loop``: a plain loop in this process (``serial=True``), the baseline;
* ``dask 1``: a LocalCluster of 1 worker process (start and shutdown included);
* ``dask 2``: a LocalCluster of 2 worker processes.

Each way runs ``--repeat`` times, in turns (loop, dask 1, dask 2, loop, …) so that a change
of the machine's load hits all three alike; every run starts with an empty output folder and
an empty walking-graph cache, after one uncounted loop run that pays this process's imports
(each Dask run pays its workers' imports: that is part of its overhead). The table gives the
median wall time, municipalities per minute, the overhead against the loop, the median time
of one municipality's task (inside the worker) and the fixed cost of starting and stopping
an idle LocalCluster of that size; ``uptime`` is printed before and after, because the load
of a shared machine moves the figures.

    python benchmarks/batch.py [--towns 12] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from batch_towns import write_towns

from sqe_geo.batch import load_batch, run_batch, with_cluster

WAYS = (("loop", None), ("dask 1", 1), ("dask 2", 2))


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def _one_run(batch_file: Path, workers: int | None, cache: Path) -> tuple[float, list[float]]:
    """Wall time of one whole batch and the seconds of each municipality's task."""
    config = load_batch(batch_file)
    if workers is not None:
        config = with_cluster(config, batch_file, None, workers)
    shutil.rmtree(config.out, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir()
    started = time.perf_counter()
    summary = run_batch(config, redo=True, serial=workers is None)
    seconds = time.perf_counter() - started
    return seconds, [o.seconds for o in summary.outcomes if o.status == "done"]


def _cluster_only(workers: int) -> float:
    """Start and stop an idle LocalCluster as the batch does: its fixed cost."""
    from distributed import Client, LocalCluster

    started = time.perf_counter()
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(workers)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--towns", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="sqe-batch-bench-"))
    try:
        batch_file, _ = write_towns(root, args.towns)
        cache = root / "graph-cache"
        os.environ["SQE_GEO_CACHE"] = str(cache)  # the LocalCluster's workers inherit it
        print(f"cores: {os.cpu_count()}; towns: {args.towns}; repeats: {args.repeat}")
        print(f"uptime before: {_uptime()}")
        # warm-up, not counted: the loop's first run would pay this process's imports
        _one_run(batch_file, None, cache)
        walls: dict[str, list[float]] = {name: [] for name, _ in WAYS}
        tasks: dict[str, list[float]] = {name: [] for name, _ in WAYS}
        fixed: dict[str, list[float]] = {name: [] for name, _ in WAYS}
        for _ in range(args.repeat):
            for name, workers in WAYS:
                seconds, task_seconds = _one_run(batch_file, workers, cache)
                if len(task_seconds) != args.towns:
                    raise SystemExit(f"{name}: {len(task_seconds)} of {args.towns} done")
                walls[name].append(seconds)
                tasks[name].append(statistics.median(task_seconds))
                if workers is not None:
                    fixed[name].append(_cluster_only(workers))
                print(f"  {name:7} {seconds:6.1f} s", flush=True)
        print(f"uptime after:  {_uptime()}")
        loop = statistics.median(walls["loop"])
        print()
        print(
            "| way | median wall s (runs) | municipalities / min | overhead vs loop "
            "| median s per municipality | idle cluster start + stop s |"
        )
        print("| --- | --- | --- | --- | --- | --- |")
        for name, workers in WAYS:
            median = statistics.median(walls[name])
            runs = ", ".join(f"{t:.1f}" for t in walls[name])
            rate = args.towns / median * 60
            overhead = f"{(median - loop) / loop * 100:+.0f} %" if workers else "—"
            task = statistics.median(tasks[name])
            start = f"{statistics.median(fixed[name]):.1f}" if workers else "—"
            print(
                f"| {name} | {median:.1f} ({runs}) | {rate:.1f} | {overhead} | {task:.2f} "
                f"| {start} |"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
