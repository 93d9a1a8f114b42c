"""Classes and colours of indicator values for maps (quarters and planning areas).

Values are classified with mapclassify (quantiles, natural breaks after Fisher-Jenks, equal
intervals; 3–7 classes) and coloured so that *darker always means more need*: for
``higher_is_worse`` indicators high values are dark, for ``higher_is_better`` indicators the
ramp is reversed, and ``neutral`` indicators get a separate blue ramp that does not suggest
good or bad. The ramps are ColorBrewer's (branca's copy of them).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from sqe_geo._errors import missing_extra
from sqe_geo.i18n.formatting import format_number
from sqe_geo.i18n.messages import text

try:  # the core install (pip install sqe-geo) has no map libraries: sqe-geo[app] does
    import mapclassify
    from branca.utilities import color_brewer
except ImportError as exc:
    raise missing_extra(exc.name) from None

Scheme = Literal["quantiles", "fisher_jenks", "equal_interval"]

#: Classification schemes: id -> mapclassify class.
SCHEMES: dict[str, type] = {
    "quantiles": mapclassify.Quantiles,
    "fisher_jenks": mapclassify.FisherJenks,
    "equal_interval": mapclassify.EqualInterval,
}


def scheme_label(scheme: str, language: str = "de") -> str:
    """The name of a classification scheme for people, e.g. "Quantile (…)"."""
    return text(f"outputs.scheme.{scheme}", language)


MIN_CLASSES, MAX_CLASSES = 3, 7

#: Fill of quarters without a value (no data) and of withheld values (hatched).
MISSING_COLOR = "#d9d9d9"
SUPPRESSED_COLOR = "#9e9e9e"
#: Fill of quarters whose value could not be computed (a gap in the data; legend gives why).
NOT_COMPUTED_COLOR = "#b0b0b0"
OUTLINE_COLOR = "#555555"
AREA_OUTLINE_COLOR = "#1a1a1a"


def palette(direction: str, k: int) -> list[str]:
    """Class colours, one per class from the lowest to the highest value.

    ``higher_is_worse``: light -> dark (dark = high = more need); ``higher_is_better``:
    dark -> light (dark = low = more need); ``neutral``: a blue light -> dark ramp.
    """
    k = int(min(max(k, 1), MAX_CLASSES))
    # ColorBrewer's sequential schemes as branca ships them (OrRd, PuBu; light -> dark);
    # fewer than 3 distinct values take the light and dark end of the 3-class ramp.
    ramp = color_brewer("PuBu" if direction == "neutral" else "OrRd", max(k, 3))
    colors = [ramp[2]] if k == 1 else [ramp[0], ramp[2]] if k == 2 else list(ramp)
    return colors[::-1] if direction == "higher_is_better" else colors


@dataclass
class Classification:
    """Class limits of one indicator's values and the class of every unit.

    Attributes
    ----------
    scheme
        ``"quantiles"``, ``"fisher_jenks"`` or ``"equal_interval"``.
    k
        Number of classes actually formed (fewer than asked when there are few distinct
        values).
    lower
        The smallest value (lower limit of the first class).
    bins
        Upper limit of every class (mapclassify's ``bins``).
    classes
        Class number (0 … k-1) per unit; ``<NA>`` for missing or withheld values.
    colors
        Fill colour per class.
    """

    scheme: str
    k: int
    lower: float
    bins: list[float]
    classes: pd.Series
    colors: list[str]

    def color_of(self, unit: object) -> str | None:
        """Fill colour of a unit, None when it has no class."""
        cls = self.classes.get(unit)
        if cls is None or pd.isna(cls):
            return None
        return self.colors[int(cls)]

    def limits(self) -> list[tuple[float, float]]:
        """(lower, upper) of every class."""
        lows = [self.lower, *self.bins[:-1]]
        return list(zip(lows, self.bins, strict=True))

    def legend_labels(self, decimals: int = 1, language: str = "de") -> list[str]:
        """Readable class limits such as ``"12,3 – 15,0"``."""
        return [
            f"{format_number(lo, decimals, language)} – {format_number(hi, decimals, language)}"
            for lo, hi in self.limits()
        ]


def classify(
    values: pd.Series,
    scheme: str = "quantiles",
    k: int = 5,
    *,
    direction: str = "higher_is_worse",
) -> Classification:
    """Classify values with mapclassify.

    Parameters
    ----------
    values
        Indicator values indexed by unit; NaN values get no class.
    scheme
        A key of :data:`SCHEMES`.
    k
        Number of classes, 3–7 (fewer when there are fewer distinct values).
    direction
        The indicator's direction; decides the colours.

    Returns
    -------
    Classification
        With ``bins`` equal to mapclassify's for the same values, scheme and k.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown classification scheme {scheme!r}; use one of {list(SCHEMES)}")
    k = int(min(max(k, MIN_CLASSES), MAX_CLASSES))
    numeric = pd.to_numeric(values, errors="coerce").astype(float)
    valid = numeric.dropna()
    classes = pd.Series(pd.NA, index=values.index, dtype="Int64")
    if valid.empty:
        return Classification(scheme, 0, math.nan, [], classes, [])
    distinct = int(valid.nunique())
    if distinct < 2:
        only = float(valid.iloc[0])
        classes[valid.index] = 0
        return Classification(scheme, 1, only, [only], classes, palette(direction, 1))
    k_used = min(k, distinct)
    with warnings.catch_warnings():
        # mapclassify warns when it has to form fewer classes than asked; k_used avoids
        # that mostly, and the Classification reports the number really formed.
        warnings.simplefilter("ignore", UserWarning)
        result = SCHEMES[scheme](valid.to_numpy(), k=k_used)
    bins = [float(b) for b in result.bins]
    classes[valid.index] = np.asarray(result.yb, dtype=int)
    return Classification(
        scheme, len(bins), float(valid.min()), bins, classes, palette(direction, len(bins))
    )


def ranks(values: pd.Series) -> pd.Series:
    """Rank 1 = highest value; missing values get no rank."""
    return (
        pd.to_numeric(values, errors="coerce").rank(ascending=False, method="min").astype("Int64")
    )
