"""``sqe-geo batch``: one study per municipality on a Dask cluster, tables combined."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sqe_geo.cli.common import Handler, Subparsers
from sqe_geo.i18n.messages import Language, text

if TYPE_CHECKING:
    from sqe_geo.batch import Outcome

#: Width of the progress bar in characters.
BAR_WIDTH = 30


def register(sub: Subparsers, lang: Language) -> dict[str, Handler]:
    """Register ``batch``; returns its handler."""
    batch = sub.add_parser("batch", help=text("batch.help.batch", lang))
    batch.add_argument("file", type=Path, help=text("batch.help.file", lang))
    batch.add_argument("--scheduler", default=None, help=text("batch.help.scheduler", lang))
    batch.add_argument("--workers", type=int, default=None, help=text("batch.help.workers", lang))
    batch.add_argument("--redo", action="store_true", help=text("batch.help.redo", lang))
    return {"batch": _cmd_batch}


def progress_line(outcome: Outcome, finished: int, total: int) -> str:
    """One line of the progress bar: ``[#####.....] 3/10  08212000 Karlsruhe: done``.

    Parameters
    ----------
    outcome
        The municipality that just finished.
    finished
        Municipalities finished so far.
    total
        Municipalities in the batch.

    Returns
    -------
    str
        The bar, the count and the municipality's status in the current language.
    """
    filled = BAR_WIDTH * finished // max(total, 1)
    bar = "[" + "#" * filled + "." * (BAR_WIDTH - filled) + "]"
    status = text(f"batch.status.{outcome.status}")
    return text(
        "batch.cli.progress",
        bar=bar,
        finished=finished,
        total=total,
        ags=outcome.ags,
        name=outcome.name,
        status=status,
    )


def _show_progress(outcome: Outcome, finished: int, total: int) -> None:
    print(progress_line(outcome, finished, total), file=sys.stderr, flush=True)


def _cmd_batch(args: argparse.Namespace) -> int:
    from sqe_geo.batch import load_batch, run_batch, with_cluster

    config = load_batch(args.file)
    if args.scheduler is not None or args.workers is not None:
        config = with_cluster(config, args.file, args.scheduler, args.workers)
    summary = run_batch(config, language=args.lang, redo=args.redo, progress=_show_progress)
    print(
        text(
            "batch.cli.summary",
            done=summary.count("done"),
            skipped=summary.count("skipped"),
            failed=summary.count("failed"),
        )
    )
    for outcome in summary.outcomes:
        if outcome.status == "failed":
            log = config.out / "logs" / f"{outcome.ags}.log"
            print(text("batch.cli.failure", ags=outcome.ags, name=outcome.name,
                       reason=outcome.reason, log=log))  # fmt: skip
    for path in summary.paths:
        print("  " + text("cli.wrote", path=path))
    return 1 if summary.count("failed") else 0
