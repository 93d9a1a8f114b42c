"""Survival and fertility rates for the projection, by single year of age, and their bands.

The package ships two small TOML tables (``rates/survival.toml``, ``rates/fertility.toml``)
with their source, year and a note on how far their figures are verified; a study replaces
them with its own files of the same keys. :func:`band_rates` turns the single-year tables
into rates per age band of the projection: a band's survival is the one-year survival of a
stationary (life-table) population spread over the band's ages, its fertility the mean rate
over its ages (residents spread evenly within the band).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from sqe_geo._errors import InputDataError
from sqe_geo.i18n.messages import Message

__all__ = ["AgeBand", "BandRates", "Rates", "band_rates", "load_rates", "parse_bands"]

FloatArray = npt.NDArray[np.float64]

#: Highest single year of the tables; its entry stands for that age and older.
OPEN_AGE = 100
_RATES_FOLDER = Path(__file__).resolve().parent / "rates"


@dataclass(frozen=True)
class AgeBand:
    """An age band of the projection: ``low`` to ``high`` inclusive, ``high`` None = open."""

    low: int
    high: int | None

    @property
    def width(self) -> float:
        """Years in the band (``inf`` for the open band: nobody ages out of it)."""
        return float("inf") if self.high is None else float(self.high - self.low + 1)

    @property
    def label(self) -> str:
        """``"0-19"`` or ``"80+"``."""
        return f"{self.low}+" if self.high is None else f"{self.low}-{self.high}"

    def ages(self) -> range:
        """The single years of the tables the band covers (the open band up to 100)."""
        return range(self.low, min(OPEN_AGE, self.high if self.high is not None else OPEN_AGE) + 1)


def parse_bands(labels: list[tuple[int, int | None]]) -> tuple[AgeBand, ...]:
    """Check that age ranges tile 0 … open without gap or overlap, youngest first.

    Parameters
    ----------
    labels
        ``(low, high)`` per band, ``high`` None for the open last band.

    Raises
    ------
    InputDataError
        If the bands do not start at 0, leave a gap, overlap or lack an open last band.
    """
    bands = tuple(AgeBand(low, high) for low, high in sorted(labels, key=lambda r: r[0]))
    expected = 0
    for i, band in enumerate(bands):
        last = i == len(bands) - 1
        if band.low != expected or (band.high is None) != last:
            raise InputDataError(
                Message(
                    "projection.bands_not_tiling",
                    bands=", ".join(b.label for b in bands),
                    age=expected,
                )
            )
        expected = (band.high or 0) + 1
    if not bands:
        raise InputDataError(Message("projection.bands_not_tiling", bands="", age=0))
    return bands


@dataclass(frozen=True)
class Rates:
    """Single-year survival by sex, fertility of women and the sex ratio at birth.

    ``survival[sex]`` has one-year survival probabilities for ages 0 … 100 (100 = 100+);
    ``fertility`` births per woman and year for ages 0 … 100 (zero outside the table);
    ``sex_ratio`` boys per girl; ``sources`` the provenance lines of the two tables;
    ``verified`` False when a table says ``verified = false`` (figures not checked against
    the official source).
    """

    survival: dict[str, FloatArray]
    fertility: FloatArray
    sex_ratio: float
    sources: tuple[str, ...]
    verified: bool = True


def _read_toml(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputDataError(
            Message("projection.rates_unreadable", path=str(path), detail=str(exc)[:200])
        ) from None


def _numbers(data: dict[str, object], key: str, path: Path, length: int | None) -> FloatArray:
    values = data.get(key)
    ok = isinstance(values, list) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    )
    array = np.asarray(values if ok else [], dtype=float)
    if not ok or (length is not None and len(array) != length) or not len(array):
        raise InputDataError(
            Message("projection.rates_key", path=str(path), key=key, length=length or "1+")
        )
    if (array < 0).any() or (key in ("female", "male") and (array > 1).any()):
        raise InputDataError(Message("projection.rates_range", path=str(path), key=key))
    return array


def load_rates(survival: Path | None = None, fertility: Path | None = None) -> Rates:
    """Read the survival and fertility tables (the shipped ones when not given).

    Parameters
    ----------
    survival
        TOML with ``female`` and ``male``: 101 survival probabilities for ages 0 … 100+,
        plus ``source`` and ``year``.
    fertility
        TOML with ``rates`` (births per woman and year), ``first_age``, ``sex_ratio``
        (boys per girl), ``source`` and ``year``.

    Returns
    -------
    Rates
        The tables as arrays over ages 0 … 100.

    Raises
    ------
    InputDataError
        If a file is unreadable or a key is missing, of the wrong length or out of range.
    """
    s_path = survival or _RATES_FOLDER / "survival.toml"
    f_path = fertility or _RATES_FOLDER / "fertility.toml"
    s_data, f_data = _read_toml(s_path), _read_toml(f_path)
    by_sex = {sex: _numbers(s_data, sex, s_path, OPEN_AGE + 1) for sex in ("female", "male")}
    rates = _numbers(f_data, "rates", f_path, None)
    first = f_data.get("first_age", 15)
    ratio = f_data.get("sex_ratio", 1.05)
    if not isinstance(first, int) or first < 0 or first + len(rates) > OPEN_AGE + 1:
        raise InputDataError(Message("projection.rates_key", path=str(f_path), key="first_age",
                                     length=1))  # fmt: skip
    if not isinstance(ratio, int | float) or ratio <= 0:
        raise InputDataError(Message("projection.rates_range", path=str(f_path), key="sex_ratio"))
    fertility_by_age = np.zeros(OPEN_AGE + 1)
    fertility_by_age[first : first + len(rates)] = rates
    sources = tuple(
        f"{data.get('source', path.name)} ({data.get('year', '?')})"
        for data, path in ((s_data, s_path), (f_data, f_path))
    )
    verified = (
        s_data.get("verified", True) is not False and f_data.get("verified", True) is not False
    )
    return Rates(by_sex, fertility_by_age, float(ratio), sources, verified)


@dataclass(frozen=True)
class BandRates:
    """Rates per sex and band (``survival[s, b]``), fertility per band, newborn survival.

    ``sexes`` is ``("female", "male")`` or ``("all",)``; for ``"all"`` the rates are the mean
    of both sexes and ``female_share`` says which share of a band are women (births).
    """

    sexes: tuple[str, ...]
    survival: FloatArray
    fertility: FloatArray
    newborn_survival: FloatArray
    birth_share: FloatArray
    female_share: float


def _band_survival(p: FloatArray, band: AgeBand) -> float:
    """One-year survival of a stationary population spread over the band's ages."""
    survivors = np.concatenate([[1.0], np.cumprod(p[:-1])])  # l(x) with l(0) = 1
    ages = list(band.ages())
    weights = survivors[ages]
    return float((weights * p[ages]).sum() / weights.sum())


def band_rates(
    rates: Rates, bands: tuple[AgeBand, ...], sexes: tuple[str, ...], female_share: float = 0.5
) -> BandRates:
    """Rates per projection band.

    Parameters
    ----------
    rates
        The single-year tables.
    bands
        The projection's age bands.
    sexes
        ``("female", "male")`` when the data has sex, else ``("all",)``.
    female_share
        Share of women in every band when the data has no sex (only births use it).

    Returns
    -------
    BandRates
        Survival per sex and band; fertility per band (births per woman and year); the
        survival of newborns to the end of their first year (half the age-0 risk, as births
        spread over the year); the share of births per sex.
    """
    table = {sex: np.array([_band_survival(rates.survival[sex], b) for b in bands])
             for sex in ("female", "male")}  # fmt: skip
    newborn = {sex: 1.0 - (1.0 - rates.survival[sex][0]) / 2 for sex in ("female", "male")}
    girls = 1.0 / (1.0 + rates.sex_ratio)
    if sexes == ("all",):
        survival = ((table["female"] + table["male"]) / 2)[None, :]
        new = np.array([(newborn["female"] + newborn["male"]) / 2])
        share = np.array([1.0])
    else:
        survival = np.stack([table[s] for s in sexes])
        new = np.array([newborn[s] for s in sexes])
        share = np.array([girls if s == "female" else 1.0 - girls for s in sexes])
    fertility = np.array([rates.fertility[list(b.ages())].mean() for b in bands])
    return BandRates(sexes, survival, fertility, new, share, female_share)
