"""``sqe-geo regions``: propose planning areas that balance, compare them, write the mapping."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqe_geo._errors import InputDataError
from sqe_geo.cli.common import Handler, Subparsers, load, study_arg
from sqe_geo.i18n.messages import Language, Message, text


def register(sub: Subparsers, lang: Language) -> dict[str, Handler]:
    """Register ``regions``; returns its handler."""

    def h(key: str) -> str:
        return text(f"regions.cli.{key}", lang)

    regions = sub.add_parser("regions", help=h("help"))
    study_arg(regions, lang)
    regions.add_argument("--k", type=int, default=6, help=h("k"))
    regions.add_argument(
        "--method", choices=["skater", "azp", "maxp"], default="skater", help=h("method")
    )
    regions.add_argument("--out", type=Path, required=True, help=h("out"))
    regions.add_argument("--year", type=int, default=None, help=h("year"))
    regions.add_argument("--balance", default="older", metavar="VAR[=WEIGHT],…", help=h("balance"))
    regions.add_argument(
        "--together", action="append", default=[], metavar="Q1,Q2,…", help=h("together")
    )
    regions.add_argument(
        "--fixed", action="append", default=[], metavar="QUARTER=AREA", help=h("fixed")
    )
    regions.add_argument("--compactness", type=float, default=0.5, help=h("compactness"))
    regions.add_argument("--seed", type=int, default=0, help=h("seed"))
    return {"regions": _cmd_regions}


def _balance(value: str) -> dict[str, float]:
    """``older`` or ``older=1,oldest_old=2`` as variable -> weight."""
    weights: dict[str, float] = {}
    for part in value.split(","):
        name, _, weight = part.partition("=")
        try:
            weights[name.strip()] = float(weight) if weight.strip() else 1.0
        except ValueError:
            raise InputDataError(Message("regions.cli.bad_balance", value=value)) from None
    return weights


def _fixed(values: list[str]) -> dict[str, str]:
    fixed: dict[str, str] = {}
    for value in values:
        quarter, sep, area = value.partition("=")
        if not sep or not quarter.strip() or not area.strip():
            raise InputDataError(Message("regions.cli.bad_fixed", value=value))
        fixed[quarter.strip()] = area.strip()
    return fixed


def _cmd_regions(args: argparse.Namespace) -> int:
    from sqe_geo.i18n.formatting import format_number
    from sqe_geo.outputs.export import check_output_folder, write_atomic
    from sqe_geo.pipeline import run
    from sqe_geo.regions import RegionRequest, propose_areas
    from sqe_geo.regions_compare import compare_areas, mapping_csv

    out = Path(args.out)
    if out.suffix.lower() != ".csv":
        raise InputDataError(Message("regions.cli.suffix", path=str(out)))
    request = RegionRequest(
        k=args.k,
        method=args.method,
        balance=_balance(args.balance),
        year=args.year,
        together=[[q.strip() for q in group.split(",") if q.strip()] for group in args.together],
        fixed=_fixed(args.fixed),
        compactness_weight=args.compactness,
        seed=args.seed,
    )
    study = load(args.study)
    check_output_folder(out.parent, study.config.input_paths())
    results = run(study, accessibility=False)
    mapping = propose_areas(results, request, args.lang)
    comparison = compare_areas(results, mapping, balance=request.balance, year=request.year)
    for row in comparison.spread.itertuples():
        print(
            text(
                "regions.cli.spread",
                scheme=text(f"regions.table.{row.scheme}", args.lang),
                areas=row.areas,
                max_min=format_number(row.max_min, 2, args.lang),
                cv=format_number(row.cv, 3, args.lang),
                pp=format_number(row.polsby_popper, 2, args.lang),
            )
        )
    proposal = comparison.areas[comparison.areas["scheme"] == "proposal"]
    for row in proposal.itertuples():
        print(
            "  "
            + text(
                "regions.cli.area",
                area=row.planning_area,
                quarters=row.quarters,
                need=format_number(row.need, 0, args.lang),
                pp=format_number(row.polsby_popper, 2, args.lang),
            )
        )
    write_atomic(out, mapping_csv(mapping))
    print("  " + text("cli.wrote", path=out))
    return 0
