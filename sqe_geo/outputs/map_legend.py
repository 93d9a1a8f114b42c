"""The legend of the choropleth: classes, withheld, not computed, approximate and missing.

:func:`legend_html` renders the template ``legend.html.j2``; what the legend lists beyond
the classes is given by :class:`LegendMarks` (only the marks that occur on the map).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqe_geo.i18n.messages import text
from sqe_geo.outputs.classify import (
    MISSING_COLOR,
    NOT_COMPUTED_COLOR,
    SUPPRESSED_COLOR,
    Classification,
)
from sqe_geo.outputs.templating import render
from sqe_geo.stats.indicators import Indicator
from sqe_geo.stats.status import APPROXIMATION, status_label

_HATCH_CSS = "background: repeating-linear-gradient(45deg, {c} 0 2px, #ffffff 2px 5px);"


@dataclass(frozen=True)
class LegendMarks:
    """What the legend explains besides the classes.

    Attributes
    ----------
    suppressed
        Some values are withheld (hatched).
    missing
        Some units have no data (grey).
    not_computed
        Reasons of units without a value (one grey swatch each, "nicht berechnet (Grund)").
    approximation
        Some values are approximate (dashed outline).
    method
        How distances were measured (e.g. straight line × detour factor); "" for none.
    """

    suppressed: bool = True
    missing: bool = True
    not_computed: tuple[str, ...] = ()
    approximation: bool = False
    method: str = ""


def legend_html(
    ind: Indicator,
    classification: Classification,
    language: str = "de",
    *,
    year: int | None = None,
    marks: LegendMarks | None = None,
) -> str:
    """The legend body: title with unit, one swatch per class, withheld and missing.

    Parameters
    ----------
    ind
        The indicator shown.
    classification
        Its classes and colours.
    language
        ``"de"`` or ``"en"``.
    year
        Shown after the title.
    marks
        The marks to explain (default: withheld and missing).

    Returns
    -------
    str
        HTML of the legend's body (texts escaped).
    """
    marks = marks or LegendMarks()

    def word(key: str) -> str:
        return text(f"outputs.map.{key}", language)

    title = ind.label(language) + (f" ({year})" if year is not None else "")
    labels = classification.legend_labels(ind.decimals, language)
    return render(
        "legend.html.j2",
        title=title,
        unit=ind.unit(language),
        classes=list(zip(classification.colors, labels, strict=True)),
        suppressed=word("suppressed") if marks.suppressed else "",
        hatch_style=_HATCH_CSS.format(c=SUPPRESSED_COLOR),
        not_computed=[status_label(reason, language) for reason in marks.not_computed],
        not_computed_color=NOT_COMPUTED_COLOR,
        approximation=status_label(APPROXIMATION, language) if marks.approximation else "",
        missing=word("missing") if marks.missing else "",
        missing_color=MISSING_COLOR,
        method=text("outputs.map.method", language, method=marks.method) if marks.method else "",
        hint=word("darker_neutral" if ind.direction == "neutral" else "darker"),
    )
