"""``sqe-geo run``, ``validate`` and ``indicators``: compute, check, list the catalog."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sqe_geo.cli.common import Handler, Subparsers, help_text, load, study_arg
from sqe_geo.i18n.messages import LANGUAGES, Language, has_text, text

if TYPE_CHECKING:
    from sqe_geo.quality import QualityReport


def register(sub: Subparsers, lang: Language) -> dict[str, Handler]:
    """Register ``run``, ``validate`` and ``indicators``; returns their handlers."""
    run = sub.add_parser("run", help=help_text("run", lang))
    study_arg(run, lang)
    run.add_argument("--out", type=Path, default=None, help=help_text("out", lang))
    run.add_argument("--to-postgis", metavar="URL", help=text("postgis.help_to_postgis", lang))
    run.add_argument("--schema", help=text("postgis.help_schema", lang))
    run.add_argument(
        "--no-accessibility", action="store_true", help=help_text("no_accessibility", lang)
    )
    # kept from before the global option; without it the global --lang stays
    run.add_argument(
        "--lang",
        choices=list(LANGUAGES),
        default=argparse.SUPPRESS,
        help=help_text("run_lang", lang),
    )
    validate = sub.add_parser("validate", help=help_text("validate", lang))
    study_arg(validate, lang)
    validate.add_argument(
        "--no-accessibility",
        action="store_true",
        help=help_text("validate_no_accessibility", lang),
    )
    sub.add_parser("indicators", help=help_text("indicators", lang))
    return {"run": _cmd_run, "validate": _cmd_validate, "indicators": _cmd_indicators}


def _cmd_run(args: argparse.Namespace) -> int:
    from sqe_geo.outputs.export import check_output_folder, write_outputs
    from sqe_geo.pipeline import run

    started = time.perf_counter()
    _check_targets(args)
    study = load(args.study)
    # fail before the long computation when the output folder is not acceptable
    if args.out is not None:
        check_output_folder(args.out, study.config.input_paths())
    results = run(study, accessibility=not args.no_accessibility)
    paths: list[object] = []
    if args.out is not None:
        paths += write_outputs(results, args.out, language=args.lang)
    if args.to_postgis:
        from sqe_geo.outputs.postgis_export import default_schema, write_postgis

        schema = args.schema or default_schema(study.config.name)
        paths += write_postgis(results, args.to_postgis, schema, language=args.lang)
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


def _check_targets(args: argparse.Namespace) -> None:
    """At least one target; the database URL checked before the long computation."""
    from sqe_geo._errors import ExportError
    from sqe_geo.i18n.messages import Message

    if args.out is None and not args.to_postgis:
        raise ExportError(Message("postgis.needs_target"))
    if args.schema and not args.to_postgis:
        raise ExportError(Message("postgis.schema_needs_url"))
    if args.to_postgis:
        from sqe_geo.io.postgis import connect

        with connect(args.to_postgis):  # a refused login fails now, not after the run
            pass


def _cmd_validate(args: argparse.Namespace) -> int:
    from sqe_geo.pipeline import run

    study = load(args.study)
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
