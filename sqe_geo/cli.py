"""The ``sqe-geo`` command.

Subcommands: ``run`` (compute and export), ``validate`` (data-quality report),
``indicators`` (the catalog), ``demo`` (rebuild the demo data) and ``fetch`` (download
official sources). User mistakes print one clear message without a traceback and exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqe_geo._errors import SqeGeoError
from sqe_geo._version import __version__
from sqe_geo.demo import DEMO_STUDY

if TYPE_CHECKING:
    from sqe_geo.study import Study

EXIT_USER_ERROR = 2
#: Exit codes after Ctrl-C and SIGTERM (128 + signal number, as shells report them).
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every ``finally`` cleans up (no ``.part`` files)."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` while a command runs (main thread only)."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread: leave the handler alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _study_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "study",
        nargs="?",
        type=Path,
        default=None,
        help="study file (TOML); the embedded demo study when omitted",
    )


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sqe-geo",
        description="Ageing and walking-accessibility indicators per quarter, planning area "
        "and city.",
    )
    parser.add_argument("--version", action="version", version=f"sqe-geo {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="compute indicators and write CSV, XLSX and GeoPackage")
    _study_arg(run)
    run.add_argument("--out", type=Path, required=True, help="output folder (created)")
    run.add_argument(
        "--no-accessibility", action="store_true", help="skip walking-accessibility indicators"
    )
    run.add_argument("--lang", choices=["de", "en"], default="de", help="labels in the XLSX")

    validate = sub.add_parser("validate", help="print the data-quality report of a study")
    _study_arg(validate)
    validate.add_argument(
        "--no-accessibility",
        action="store_true",
        help="check inputs only (skip the network and residents' locations)",
    )

    sub.add_parser("indicators", help="list the indicator catalog")

    demo = sub.add_parser("demo", help="rebuild the embedded demo study files")
    demo.add_argument("folder", nargs="?", type=Path, default=DEMO_STUDY.parent)

    fetch = sub.add_parser("fetch", help="download official data sources into a cache folder")
    fetch.add_argument("source", help="a built-in source list, e.g. 'karlsruhe'")
    fetch.add_argument("--cache", type=Path, default=Path("data-cache"), help="target folder")
    return parser


def _load(study: Path | None) -> Study:
    from sqe_geo.study import load_study

    return load_study(study if study is not None else DEMO_STUDY)


def _cmd_run(args: argparse.Namespace) -> int:
    from sqe_geo.outputs.export import check_output_folder, write_outputs
    from sqe_geo.pipeline import run

    started = time.perf_counter()
    study = _load(args.study)
    # fail before the long computation when the output folder is not acceptable
    check_output_folder(args.out, study.config.input_paths())
    results = run(study, accessibility=not args.no_accessibility)
    paths = write_outputs(results, args.out, language=args.lang)
    print(f"Study: {study.config.title or study.config.name}")
    print(
        f"Indicators: {len(results.catalog)}; quarters: {len(study.quarters)}; "
        f"planning areas: {len(study.planning_areas)}; years: "
        f"{', '.join(map(str, results.years))}"
    )
    findings = len(results.report)
    print(f"Data-quality findings: {findings} (see the sheet 'Datenqualität')")
    for path in paths:
        print(f"  wrote {path}")
    print(f"Done in {time.perf_counter() - started:.1f} s.")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from sqe_geo.pipeline import run

    study = _load(args.study)
    # Through the pipeline even without accessibility: the report then carries the
    # disclosure control of its counts (e.g. withheld "bands vs total" differences).
    report = run(study, accessibility=not args.no_accessibility).report
    print(report.to_text())
    return 1 if report.has_errors else 0


def _cmd_indicators(_: argparse.Namespace) -> int:
    from sqe_geo.stats.indicators import load_catalog

    for ind in load_catalog():
        suffix = f"  (per {ind.for_each})" if ind.for_each else ""
        print(f"{ind.id:34} {ind.kind:11} {ind.label_de}{suffix}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from sqe_geo.demo import build

    for path in build(args.folder):
        print(f"wrote {path}")
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from sqe_geo.io.fetch import fetch

    for result in fetch(args.source, args.cache):
        print(f"  {result.status:10} {result.path} ({result.size:,} bytes)")
    return 0


_COMMANDS = {
    "run": _cmd_run,
    "validate": _cmd_validate,
    "indicators": _cmd_indicators,
    "demo": _cmd_demo,
    "fetch": _cmd_fetch,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sqe-geo`` console script."""
    args = _build_parser().parse_args(argv)
    try:
        with _sigterm_raises():
            return _COMMANDS[args.command](args)
    except SqeGeoError as exc:
        print(f"sqe-geo: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except Terminated:
        print("sqe-geo: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("sqe-geo: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
