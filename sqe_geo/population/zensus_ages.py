"""Age groups from the age bands of the Zensus 2022 grid.

Age bands and what they give in the age-group vocabulary of
:data:`~sqe_geo.population.origins.AGE_GROUPS`
(default bands: young 0–19, working_age 20–64, older 65+, young_old 65–79, oldest_old 80+):

- *Bevölkerungszahl* (``Einwohner``): ``total``.
- *Alter in 10er-Jahresgruppen* (``Insgesamt_Bevoelkerung``, ``Unter10``, ``a10bis19``, …,
  ``a70bis79``, ``a80undaelter``): ``total``, ``young`` = ``Unter10 + a10bis19`` and
  ``oldest_old`` = ``a80undaelter`` (the only grid source of 80+). ``working_age`` (20–64),
  ``older`` (65+) and ``young_old`` (65–79) are NOT derivable: 65 is not a band edge
  (``a60bis69``). With ``older_from=60`` the 60+ variant is derived (older 60+,
  working_age 20–59, young_old 60–79), labelled as a non-default definition.
- *Alter in 5 Altersklassen* (``Insgesamt_Bevoelkerung``, ``Unter18``, ``a18bis29``,
  ``a30bis49``, ``a50bis64``, ``a65undaelter``): ``total`` and ``older`` = ``a65undaelter``.
  ``young`` (0–19) and ``working_age`` (20–64) are not derivable (the edge is 18; with
  ``working_age_from=18``: young 0–17, working_age 18–64); ``young_old`` and ``oldest_old``
  are not derivable (no 80 edge).

Uncertainty: the 5-Altersklassen column names above are the ones used by public code that
reads the Zensus 2022 files, not checked against an official file here; check them against
the dataset description in the ZIP. Never mix bands of different topics: each topic is
perturbed on its own.
"""

from __future__ import annotations

import pandas as pd

from sqe_geo.i18n.messages import Message
from sqe_geo.population.origins import AGE_GROUPS, attach_report, new_report
from sqe_geo.quality import QualityReport

#: Total-population columns: Bevölkerungszahl topic, then the age topics.
TOTAL_COLUMNS: tuple[str, ...] = ("Einwohner", "Insgesamt_Bevoelkerung")

_INF = 10_000  # open upper age bound

#: Age bands of the topic "Alter in 10er-Jahresgruppen": column, lower age, upper age (excl.).
TEN_YEAR_BANDS: tuple[tuple[str, int, int], ...] = (
    ("Unter10", 0, 10),
    ("a10bis19", 10, 20),
    ("a20bis29", 20, 30),
    ("a30bis39", 30, 40),
    ("a40bis49", 40, 50),
    ("a50bis59", 50, 60),
    ("a60bis69", 60, 70),
    ("a70bis79", 70, 80),
    ("a80undaelter", 80, _INF),
)

#: Age bands of the topic "Alter in 5 Altersklassen" (column names: see module docstring).
FIVE_CLASS_BANDS: tuple[tuple[str, int, int], ...] = (
    ("Unter18", 0, 18),
    ("a18bis29", 18, 30),
    ("a30bis49", 30, 50),
    ("a50bis64", 50, 65),
    ("a65undaelter", 65, _INF),
)

_TOPICS: tuple[tuple[str, tuple[tuple[str, int, int], ...]], ...] = (
    ("Alter in 10er-Jahresgruppen", TEN_YEAR_BANDS),
    ("Alter in 5 Altersklassen", FIVE_CLASS_BANDS),
)


def _group_bounds(working_age_from: int, older_from: int) -> dict[str, tuple[int, int]]:
    bounds = {
        "young": (0, working_age_from),
        "working_age": (working_age_from, older_from),
        "older": (older_from, _INF),
        "oldest_old": (80, _INF),
    }
    if older_from < 80:
        bounds["young_old"] = (older_from, 80)
    return bounds


def _age_text(lo: int, hi: int) -> str:
    return f"{lo}+" if hi >= _INF else f"{lo}–{hi - 1}"


def zensus_age_groups(
    cells: pd.DataFrame,
    *,
    working_age_from: int = 20,
    older_from: int = 65,
    report: QualityReport | None = None,
) -> pd.DataFrame:
    """Add the age-group columns that the Zensus bands in ``cells`` tile exactly.

    A group is derived only when its age range is exactly a union of published bands of
    one topic (topics are perturbed separately, so bands are never mixed across topics;
    the 10-year topic is preferred). ``total`` is ``Einwohner`` or else
    ``Insgesamt_Bevoelkerung``.

    Parameters
    ----------
    cells
        Output of :func:`read_zensus_grid` (one topic, or several merged on ``cell_id``).
    working_age_from
        First age of ``working_age`` (and end of ``young``); default 20. With the
        5-Altersklassen topic, 18 gives young = 0–17 and working_age = 18–64.
    older_from
        First age of ``older`` (and start of ``young_old``); default 65. With the 10-year
        topic, 60 gives older = 60+, working_age = 20–59 and young_old = 60–79 (the
        "older = 60+" variant); use it only when that definition is wanted and labelled.
    report
        Receives ``zensus_age_groups`` (info: derived groups with their source columns
        and the definition) and ``zensus_age_groups_not_derivable`` (info: requested groups
        the bands do not tile, e.g. 65+ from 10-year groups).

    Returns
    -------
    pandas.DataFrame
        A copy of ``cells`` whose age-group columns are exactly the derivable ones (earlier
        age-group columns are replaced; NaN in a band gives NaN).
    """
    report, created = new_report(report)
    # Age-group columns from an earlier call with other bounds would be stale: drop them.
    out = cells.drop(columns=[g for g in AGE_GROUPS if g in cells.columns])
    derived: dict[str, str] = {}
    for column in TOTAL_COLUMNS:
        if column in cells.columns:
            out["total"] = cells[column].astype("float64")
            derived["total"] = column
            break
    not_derivable: list[str] = []
    for group, (lo, hi) in _group_bounds(working_age_from, older_from).items():
        for topic, bands in _TOPICS:
            present = [b for b in bands if b[0] in cells.columns]
            if len(present) != len(bands):
                continue
            inner = [b for b in bands if b[1] >= lo and b[2] <= hi]
            starts = {b[1] for b in bands}
            ends = {b[2] for b in bands}
            if lo in starts and hi in ends and inner:
                names = [b[0] for b in inner]
                out[group] = cells[names].astype("float64").sum(axis=1, min_count=len(names))
                derived[group] = f"{' + '.join(names)} ({topic})"
                break
        else:
            not_derivable.append(f"{group} ({_age_text(lo, hi)})")
    variant = (working_age_from, older_from) != (20, 65)
    definition = ", ".join(
        f"{g} {_age_text(*b)}"
        for g, b in _group_bounds(working_age_from, older_from).items()
        if g in derived
    )
    if derived:
        report.add(
            "zensus_age_groups",
            "zensus",
            Message(
                "population.zensus_ages.derived_variant"
                if variant
                else "population.zensus_ages.derived",
                derived="; ".join(f"{g} = {src}" for g, src in derived.items()),
                definition=definition,
            ),
            severity="warning" if variant else "info",
            items=list(derived),
        )
    if not_derivable:
        report.add(
            "zensus_age_groups_not_derivable",
            "zensus",
            Message("population.zensus_ages.not_derivable", groups=", ".join(not_derivable)),
            severity="info",
            items=not_derivable,
        )
    return attach_report(out, report, created)


__all__ = ["FIVE_CLASS_BANDS", "TEN_YEAR_BANDS", "TOTAL_COLUMNS", "zensus_age_groups"]
