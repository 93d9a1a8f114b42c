"""The ``sqe-geo`` command.

Subcommands: ``run`` (compute and export), ``validate`` (data-quality report),
``indicators`` (the catalog), ``demo`` (rebuild the demo data) and ``fetch`` (download
official sources). User mistakes print one clear message without a traceback and exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqe_geo._errors import SqeGeoError
from sqe_geo._resources import DEMO_STUDY
from sqe_geo._version import __version__
from sqe_geo.i18n.messages import (
    LANGUAGES,
    Language,
    as_language,
    has_text,
    text,
    use_language,
)

if TYPE_CHECKING:
    from sqe_geo.quality import QualityReport
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


def _default_language() -> Language:
    """``$SQE_GEO_LANG`` when it names a catalog language, else German."""
    value = os.environ.get("SQE_GEO_LANG", "de")
    return as_language(value) if value in LANGUAGES else "de"


def _language(argv: list[str]) -> Language:
    """The language of the command: ``--lang`` (global or after ``run``) or the default."""
    scan = argparse.ArgumentParser(add_help=False)
    scan.add_argument("--lang", default=_default_language())
    known, _ = scan.parse_known_args(argv)
    return as_language(known.lang) if known.lang in LANGUAGES else _default_language()


def _study_arg(parser: argparse.ArgumentParser, lang: Language) -> None:
    parser.add_argument(
        "study", nargs="?", type=Path, default=None, help=text("cli.help.study", lang)
    )


def _build_parser(lang: Language = "de") -> argparse.ArgumentParser:
    def h(key: str) -> str:
        return text(f"cli.help.{key}", lang)

    parser = argparse.ArgumentParser(prog="sqe-geo", description=text("cli.description", lang))
    parser.add_argument("--version", action="version", version=f"sqe-geo {__version__}")
    parser.add_argument("--lang", choices=list(LANGUAGES), default=lang, help=h("lang"))
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help=h("run"))
    _study_arg(run, lang)
    run.add_argument("--out", type=Path, required=True, help=h("out"))
    run.add_argument("--no-accessibility", action="store_true", help=h("no_accessibility"))
    # kept from before the global option; without it the global --lang stays
    run.add_argument(
        "--lang", choices=list(LANGUAGES), default=argparse.SUPPRESS, help=h("run_lang")
    )

    validate = sub.add_parser("validate", help=h("validate"))
    _study_arg(validate, lang)
    validate.add_argument(
        "--no-accessibility", action="store_true", help=h("validate_no_accessibility")
    )

    sub.add_parser("indicators", help=h("indicators"))

    demo = sub.add_parser("demo", help=h("demo"))
    demo.add_argument(
        "folder", nargs="?", type=Path, default=DEMO_STUDY.parent, help=h("demo_folder")
    )
    demo.add_argument("--sources", type=Path, required=True, help=h("demo_sources"))

    catchment = sub.add_parser("catchment", help=h("catchment"))
    _study_arg(catchment, lang)
    catchment.add_argument(
        "--at", type=float, nargs=2, required=True, metavar=("X", "Y"), help=h("at")
    )
    catchment.add_argument("--crs", default=None, help=h("at_crs"))
    catchment.add_argument(
        "--minutes", type=float, nargs="+", default=[5.0, 10.0, 15.0], help=h("minutes")
    )
    catchment.add_argument("--year", type=int, default=None, help=h("catchment_year"))
    catchment.add_argument("--out", type=Path, required=True, help=h("catchment_out"))

    locate = sub.add_parser("locate", help=h("locate"))
    _study_arg(locate, lang)
    locate.add_argument("--category", required=True, help=h("locate_category"))
    locate.add_argument("--k", type=int, default=1, help=h("locate_k"))
    where = locate.add_mutually_exclusive_group()
    where.add_argument("--candidates", type=Path, default=None, help=h("locate_candidates"))
    where.add_argument("--in", dest="within", default=None, help=h("locate_in"))
    locate.add_argument(
        "--group", choices=["older", "oldest_old"], default="older", help=h("locate_group")
    )
    locate.add_argument("--year", type=int, default=None, help=h("catchment_year"))
    locate.add_argument("--out", type=Path, required=True, help=h("catchment_out"))

    fetch = sub.add_parser("fetch", help=h("fetch"))
    fetch.add_argument("source", help=h("source"))
    fetch.add_argument("--cache", type=Path, default=Path("data-cache"), help=h("cache"))
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
    print(text("cli.study", title=study.config.title or study.config.name))
    print(
        text(
            "cli.summary",
            indicators=len(results.catalog),
            quarters=len(study.quarters),
            areas=len(study.planning_areas),
            years=", ".join(map(str, results.years)),
        )
    )
    print(text("cli.findings", n=len(results.report)))
    for path in paths:
        print("  " + text("cli.wrote", path=path))
    print(text("cli.done", seconds=f"{time.perf_counter() - started:.1f}"))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from sqe_geo.pipeline import run

    study = _load(args.study)
    # Through the pipeline even without accessibility: the report then carries the
    # disclosure control of its counts (e.g. withheld "bands vs total" differences).
    report = run(study, accessibility=not args.no_accessibility).report
    print(report_text(report))
    return 1 if report.has_errors else 0


def report_text(report: QualityReport) -> str:
    """The data-quality report for the terminal, in the current language.

    Parameters
    ----------
    report
        The report of a run.

    Returns
    -------
    str
        A header line, then per finding its severity, input and message, and the items.
    """
    if not report.findings:
        return text("cli.report.empty")
    lines = [text("cli.report.header", n=len(report.findings))]
    for f in report.findings:
        severity = text(f"cli.report.{f.severity}")
        layer_key = f"common.layer.{f.layer}"
        layer = text(layer_key) if has_text(layer_key) else f.layer
        lines.append(f"[{severity:7}] {layer}: {f.message}")
        if f.items:
            lines.append("          " + text("cli.report.affected", n=f.count, items=f.listed()))
    return "\n".join(lines)


def _cmd_indicators(args: argparse.Namespace) -> int:
    from sqe_geo.stats.indicators import load_catalog

    for ind in load_catalog():
        suffix = "  " + text("cli.per", name=ind.for_each) if ind.for_each else ""
        print(f"{ind.id:34} {ind.kind:11} {ind.label(args.lang)}{suffix}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from sqe_geo.demo import build

    for path in build(args.sources, args.folder):
        print(text("cli.wrote", path=path))
    return 0


def _output_study(args: argparse.Namespace) -> Study:
    """The study of a command that writes one layer file; a wrong suffix or an output in an
    input folder fails before the computation."""
    from sqe_geo.outputs.export import check_output_folder
    from sqe_geo.outputs.layer_files import check_suffix

    study = _load(args.study)
    check_suffix(args.out)
    check_output_folder(Path(args.out).parent, study.config.input_paths())
    return study


def _cmd_catchment(args: argparse.Namespace) -> int:
    from sqe_geo.catchments import COUNTED, count_text, study_catchments
    from sqe_geo.i18n.formatting import format_number
    from sqe_geo.outputs.layer_files import write_layer
    from sqe_geo.pipeline import run

    study = _output_study(args)
    bands = study_catchments(
        run(study), tuple(args.at), minutes=args.minutes, crs=args.crs, year=args.year
    )
    for row in bands.itertuples():
        total, older, oldest_old = (count_text(getattr(row, f"residents_{c}")) for c in COUNTED)
        minutes = format_number(row.minutes, 0, args.lang)
        metres = format_number(row.distance_m, 0, args.lang)
        print(
            text(
                "cli.catchment_band",
                minutes=minutes,
                metres=metres,
                total=total,
                older=older,
                oldest_old=oldest_old,
            )
        )
    print(bands["note"].iloc[0])
    print("  " + text("cli.wrote", path=write_layer(bands, args.out, "einzugsbereiche")))
    return 0


def _cmd_locate(args: argparse.Namespace) -> int:
    from sqe_geo.catchments import count_text
    from sqe_geo.i18n.formatting import format_number
    from sqe_geo.locate import LocationRequest, study_locations
    from sqe_geo.outputs.layer_files import write_layer
    from sqe_geo.pipeline import run

    study = _output_study(args)
    request = LocationRequest(
        args.category, args.k, args.candidates, args.within, args.group, args.year
    )
    sites = study_locations(run(study), request)
    print(
        text(
            "cli.locate_summary",
            before=count_text(sites.attrs["covered_before"]),
            after=count_text(sites.attrs["covered_after"]),
            method=sites["method"].iloc[0] if len(sites) else "-",
            gap=format_number(
                100 * float(sites["gap"].iloc[0]) if len(sites) else 0.0, 2, args.lang
            ),
        )
    )
    for row in sites.itertuples():
        x, y = round(row.geometry.x), round(row.geometry.y)
        gain = count_text(row.gain)
        print("  " + text("cli.locate_site", rank=row.rank, gain=gain, x=x, y=y))
    print("  " + text("cli.wrote", path=write_layer(sites, args.out, "standorte")))
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from sqe_geo.io.fetch import fetch

    for result in fetch(args.source, args.cache):
        size = f"{result.size:,}"
        print("  " + text("cli.fetched", status=f"{result.status:10}", path=result.path, size=size))
    return 0


_COMMANDS = {
    "run": _cmd_run,
    "validate": _cmd_validate,
    "indicators": _cmd_indicators,
    "demo": _cmd_demo,
    "catchment": _cmd_catchment,
    "locate": _cmd_locate,
    "fetch": _cmd_fetch,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sqe-geo`` console script."""
    argv = sys.argv[1:] if argv is None else argv
    language = _language(argv)
    args = _build_parser(language).parse_args(argv)
    # errors, the validate report and the XLSX labels come in the command's language
    with use_language(args.lang):
        return _run_command(args)


def _run_command(args: argparse.Namespace) -> int:
    try:
        with _sigterm_raises():
            return _COMMANDS[args.command](args)
    except SqeGeoError as exc:
        print(text("cli.error", message=str(exc)), file=sys.stderr)
        return EXIT_USER_ERROR
    except Terminated:
        print(text("cli.terminated"), file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print(text("cli.interrupted"), file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
