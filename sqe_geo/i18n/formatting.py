"""The one number formatter of sqe-geo: rounding, separators and marks, German and English.

Every surface that shows a number — maps, exports, profile, comparison, app — formats it
here, so a figure reads the same everywhere. Rounding is half up on the decimal text
(DIN 1333, as German official statistics do: 1.25 → 1.3, 12.35 → 12.4), not half to even
on the binary value. A withheld value is :data:`WITHHELD_MARK` in German output and blank
in English output; a missing value is blank.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

__all__ = ["WITHHELD_MARK", "format_number", "round_half_up", "round_value"]

#: The mark of a withheld value in German tables (official statistics' "." sign).
WITHHELD_MARK = "."


def round_value(value: float, decimals: int) -> Decimal | None:
    """Round one number half up on its shortest decimal form; None for NaN or infinity.

    Examples
    --------
    >>> round_value(1.25, 1), round_value(-1.25, 1), round_value(2.675, 2)
    (Decimal('1.3'), Decimal('-1.3'), Decimal('2.68'))
    """
    number = float(value)
    if not math.isfinite(number):
        return None
    step = Decimal(1).scaleb(-max(int(decimals), 0))
    rounded = Decimal(repr(number)).quantize(step, rounding=ROUND_HALF_UP)
    return abs(rounded) if rounded.is_zero() else rounded  # no "-0.0"


def round_half_up(values: pd.Series, decimals: int) -> pd.Series:
    """:func:`round_value` for a column; NaN stays NaN (for numeric exports).

    Examples
    --------
    >>> round_half_up(pd.Series([1.25, 12.35, float("nan")]), 1).tolist()
    [1.3, 12.4, nan]
    """

    def one(value: float) -> float:
        rounded = round_value(value, decimals)
        return float(rounded) if rounded is not None else float(value)

    return values.astype(float).map(one)


def format_number(
    value: object,
    decimals: int = 1,
    language: str = "de",
    *,
    grouping: bool = True,
    withheld: bool = False,
) -> str:
    """Format a number: German ``1.234,5`` or English ``1,234.5``.

    Parameters
    ----------
    value
        A number (NaN, None or infinity: blank); anything else is shown as text.
    decimals
        Decimal places after rounding half up.
    language
        ``"de"`` (decimal comma, ``.`` between thousands) or ``"en"``.
    grouping
        Thousands separators: on for people (maps, profile, app), off for tables that
        programs read back (CSV exports).
    withheld
        Withheld by disclosure control: ``"."`` in German, blank in English.

    Returns
    -------
    str
        The text.

    Examples
    --------
    >>> format_number(1234.45, 1), format_number(1234.45, 1, "en")
    ('1.234,5', '1,234.5')
    >>> format_number(1234.45, 1, grouping=False), format_number(2, 0, withheld=True)
    ('1234,5', '.')
    >>> format_number(float("nan")), format_number(None), format_number(2, 0, "en", withheld=True)
    ('', '', '')
    """
    if withheld:
        return WITHHELD_MARK if language == "de" else ""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    try:
        rounded = round_value(float(value), decimals)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if rounded is None:
        return ""
    text = f"{rounded:{',' if grouping else ''}.{max(int(decimals), 0)}f}"
    if language == "de":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text
