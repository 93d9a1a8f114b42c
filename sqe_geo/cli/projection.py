"""``sqe-geo project``: population projection per quarter up to a target year, as CSV.

The CSV is a demographics table (``quarter_id``, ``year``, ``variant``, ``kind``, ``total``,
the study's age groups and the projection's bands) of whole persons, every row marked as a
projection ("Prognose") with its variant: model output, not published counts. It is written
to a temporary file and renamed, so a failed run leaves nothing half-written; German CSV
(``;``, UTF-8 with BOM) with ``--lang de``, the technical CSV (``,``) with ``--lang en``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sqe_geo.cli.common import Handler, Subparsers, study_arg
from sqe_geo.i18n.formatting import format_number
from sqe_geo.i18n.messages import Language, text

_VARIANT_CHOICES = ("low", "main", "high", "all")


def register(sub: Subparsers, lang: Language) -> dict[str, Handler]:
    """Register ``project``; returns its handler."""
    parser = sub.add_parser("project", help=text("projection.cli.help", lang))
    study_arg(parser, lang)
    parser.add_argument("--to", type=int, default=2040, help=text("projection.cli.help_to", lang))
    parser.add_argument("--step", type=int, default=1, help=text("projection.cli.help_step", lang))
    parser.add_argument(
        "--variant",
        choices=_VARIANT_CHOICES,
        default="main",
        help=text("projection.cli.help_variant", lang),
    )
    parser.add_argument(
        "--base-year", type=int, default=None, help=text("projection.cli.help_base_year", lang)
    )
    for option in ("migration", "official", "survival", "fertility"):
        parser.add_argument(
            f"--{option}", type=Path, default=None, help=text(f"projection.cli.help_{option}", lang)
        )
    parser.add_argument(
        "--damping", type=float, default=1.0, help=text("projection.cli.help_damping", lang)
    )
    parser.add_argument(
        "--out", type=Path, required=True, help=text("projection.cli.help_out", lang)
    )
    return {"project": _cmd_project}


def _cmd_project(args: argparse.Namespace) -> int:
    from sqe_geo.cli.common import load
    from sqe_geo.outputs.export import check_output_folder, csv_bytes, write_atomic
    from sqe_geo.projection.run import ProjectionOptions, run_projection

    study = load(args.study)
    inputs = [*study.config.input_paths()]
    inputs += [p for p in (args.migration, args.official, args.survival, args.fertility) if p]
    check_output_folder(Path(args.out).resolve().parent, inputs)
    variants = ("low", "main", "high") if args.variant == "all" else (args.variant,)
    options = ProjectionOptions(
        target_year=args.to,
        step=args.step,
        variants=variants,
        base_year=args.base_year,
        migration=args.migration,
        official=args.official,
        survival=args.survival,
        fertility=args.fertility,
        damping=args.damping,
    )
    groups = {g: str(r) for g, r in study.config.age_groups.model_dump().items()}
    run = run_projection(study.demographics, groups, options, language=args.lang)
    write_atomic(args.out, csv_bytes(run.table, german=args.lang == "de"))
    print(
        text(
            "projection.cli.summary",
            variants=", ".join(text(f"projection.variant_{v}") for v in variants),
            base=run.base_year,
            target=args.to,
            quarters=run.table["quarter_id"].nunique(),
            bands=", ".join(run.bands),
        )
    )
    city = run.table.groupby(["variant", "year"], sort=False)["total"].sum().reset_index()
    for variant, year, total in zip(city["variant"], city["year"], city["total"], strict=True):
        if int(year) == args.to or (int(year) - run.base_year) % 5 == 0:
            print(
                text(
                    "projection.cli.city_row",
                    year=year,
                    total=format_number(float(total), 0, args.lang),
                    variant=text(f"projection.variant_{variant}"),
                )
            )
    for note in run.notes:
        print(str(note))
    for finding in run.report.findings:
        print(f"  {finding.message}")
    print(text("projection.cli.disclosure"))
    print(text("projection.cli.wrote", path=args.out))
    return 0
