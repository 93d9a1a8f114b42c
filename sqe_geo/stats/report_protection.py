"""Disclosure control of the data-quality report: the differences "bands vs total".

The finding ``bands_vs_total`` of the demographics lists, per quarter and year, how many
persons the age bands miss (persons of unknown age). Those differences are counts, so the
ones that disclosure control withholds are masked before the report is published.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sqe_geo.i18n.formatting import WITHHELD_MARK
from sqe_geo.i18n.messages import Message
from sqe_geo.quality import Finding, QualityReport
from sqe_geo.stats.aggregate import Level

__all__ = ["AGE_GAP", "protect_report"]

SUPPRESSED_MARK = WITHHELD_MARK


#: The residual of the age relation that the data-quality report publishes per quarter.
AGE_GAP = "total - (young + working_age + older)"


def protect_report(report: QualityReport, withheld: Mapping[Level, pd.DataFrame]) -> None:
    """Mask the per-quarter differences "bands vs total" that disclosure control withholds.

    The finding ``bands_vs_total`` lists, per quarter and year, how many persons the age
    bands miss (persons of unknown age). Those differences are counts: a withheld one is
    replaced by ``"."``, and when the city's difference is withheld the
    message no longer gives the city's bands and total.

    Parameters
    ----------
    report
        The report of a run; changed in place.
    withheld
        Level -> withheld count cells (:attr:`sqe_geo.stats.privacy.Disclosure.withheld`).
    """
    quarters, city = withheld["quarter"], withheld["city"]
    if AGE_GAP not in quarters.columns:
        return
    hidden = {(str(u), int(y)) for (u, y) in quarters.index[quarters[AGE_GAP].to_numpy()]}
    city_hidden = {int(y) for (_, y) in city.index[city[AGE_GAP].to_numpy()]}
    for k, finding in enumerate(report.findings):
        if finding.check != "bands_vs_total":
            continue
        items, year = [], None
        for item in finding.items:
            unit, _, rest = item.rpartition(", ")
            year_text, _, _ = rest.partition(":")
            year = int(year_text)
            items.append(f"{unit}, {year}: {SUPPRESSED_MARK}" if (unit, year) in hidden else item)
        message: Message | str = finding.text
        if year in city_hidden:
            message = _without_city(finding, year)
        report.findings[k] = Finding(
            finding.check, finding.layer, message, finding.severity, finding.count, tuple(items)
        )


def _without_city(finding: Finding, year: int) -> Message:
    """The finding's sentence without the city's bands and total (they would give the gap).

    A second catalog text, filled in from the parameters of the finding's message (the
    table, ``source``), its year and its number of quarters; never by editing the text.
    """
    params = finding.text.params if isinstance(finding.text, Message) else {}
    source = params.get("source", finding.layer)
    return Message("stats.bands_vs_total_city_withheld", source=source, year=year, n=finding.count)
