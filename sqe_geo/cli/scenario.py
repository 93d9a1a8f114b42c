"""``sqe-geo scenario``: what added, removed or moved facilities would change."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqe_geo.cli.common import Handler, Subparsers, help_text, load
from sqe_geo.i18n.formatting import format_number
from sqe_geo.i18n.messages import Language, Message, text


def register(sub: Subparsers, lang: Language) -> dict[str, Handler]:
    """Register ``scenario``; returns its handler."""
    scenario = sub.add_parser("scenario", help=help_text("scenario", lang))
    scenario.add_argument("study", type=Path, help=help_text("scenario_study", lang))
    scenario.add_argument("scenario", help=help_text("scenario_name", lang))
    scenario.add_argument("--out", type=Path, required=True, help=help_text("out", lang))
    return {"scenario": _cmd_scenario}


def _cmd_scenario(args: argparse.Namespace) -> int:
    from sqe_geo._errors import InputDataError
    from sqe_geo.outputs.export import check_output_folder
    from sqe_geo.pipeline import run
    from sqe_geo.scenario import run_scenario
    from sqe_geo.scenario_export import write_scenario
    from sqe_geo.scenario_file import read_scenario, scenario_path

    study = load(args.study)
    if study.services is None:
        raise InputDataError(Message("scenario.no_services"))
    path = scenario_path(study.config, args.scenario)
    # check the scenario and the output folder before the long computation
    scenario = read_scenario(path, study.config, study.services)
    check_output_folder(args.out, [*study.config.input_paths(), path])
    result = run_scenario(run(study), scenario)
    paths = write_scenario(result, args.out, language=args.lang)
    print(text("cli.scenario_summary", name=scenario.name, n=len(scenario.changes),
               categories=", ".join(result.changed),
               seconds=format_number(result.seconds, 2, args.lang)))  # fmt: skip
    city = result.comparison["city"]
    latest = city[(city["year"] == city["year"].max()) & city["category"].isin(result.changed)]
    for row in latest.itertuples():
        indicator = result.after.catalog[str(row.indicator)]
        decimals = indicator.decimals
        print(
            "  "
            + text(
                "cli.scenario_row",
                label=indicator.label(args.lang),
                before=format_number(float(row.before), decimals, args.lang),
                after=format_number(float(row.after), decimals, args.lang),
                difference=format_number(float(row.difference), decimals, args.lang),
            )
        )
    for path in paths:
        print("  " + text("cli.wrote", path=path))
    return 0
