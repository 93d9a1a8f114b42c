"""Robust matching of table keys (quarter ids or names) to the study's quarters.

Statistics tables name quarters in many spellings: ``1``, ``"01"``, ``"Mühlburg"``,
``"MUEHLBURG"``, ``"Beiertheim - Bulach"``. :func:`match_keys` maps each distinct table key
to a ``quarter_id`` of a reference table with columns ``quarter_id`` and ``name``, in this
order of trust:

1. **id** – the key is a number or a string of digits and equals a reference id as an
   integer (``1``, ``"1"``, ``"01"``, ``1.0`` all match ``"01"``), or equals a non-numeric
   reference id ignoring case and surrounding space;
2. **name** – the key equals a reference name exactly;
3. **normalised name** – equal after :func:`normalize_name` (case, umlauts ä→ae, ö→oe,
   ü→ue, ß→ss, other accents, hyphens, spaces and punctuation are ignored); a key made of
   number and name (``"01 Innenstadt-Ost"``) matches when both name the same quarter;
4. **fuzzy name** – one edit (insertion, deletion or substitution) apart on the normalised
   form, only for normalised names of at least :data:`FUZZY_MIN_LENGTH` characters and only
   when exactly one reference name is that close. Fuzzy matches are reported as warnings.

Everything that is not a plain id or exact name match is recorded in the
:class:`~sqe_geo.quality.QualityReport` (:mod:`sqe_geo.io.key_findings`): normalised and
fuzzy matches, unmatched keys, several table keys for one quarter, duplicate reference
ids/names and quarters without any key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable
from typing import Any, cast

import pandas as pd

from sqe_geo._errors import InputDataError, listing
from sqe_geo.i18n.messages import Message
from sqe_geo.io.key_findings import (
    KeyMatches,
    report_matches,
    report_reference_duplicates,
)
from sqe_geo.quality import QualityReport

__all__ = [
    "FUZZY_MIN_LENGTH",
    "add_quarter_ids",
    "match_keys",
    "normalize_id",
    "normalize_name",
]

#: Minimum length of a normalised name before a one-letter difference is tolerated.
FUZZY_MIN_LENGTH = 6

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_DIGITS = re.compile(r"^\s*[+]?(\d+)(?:[.,]0+)?\s*$")
_ID_AND_NAME = re.compile(r"^\s*(\d+)\s*[-–.:)]?\s+(\D.*)$")
# Row labels that are usually totals, not quarters; only used to explain unmatched keys.
_TOTAL_HINTS = ("gesamt", "insgesamt", "summe", "stadt", "karlsruhe", "total")


def normalize_name(name: object) -> str:
    """Return the comparison form of a quarter name.

    Lower case; ``ä``/``ö``/``ü``/``ß`` spelled ``ae``/``oe``/``ue``/``ss``; other accents
    removed; everything except letters and digits (hyphens, spaces, dots, slashes) removed.

    Parameters
    ----------
    name
        Any value; it is converted with :class:`str`.

    Returns
    -------
    str
        The normalised name, e.g. ``"Beiertheim - Bulach"`` → ``"beiertheimbulach"``.
    """
    text = unicodedata.normalize("NFC", str(name)).casefold().translate(_UMLAUTS)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _NON_ALNUM.sub("", text)


def normalize_id(key: object) -> str | None:
    """Return the canonical integer text of a numeric id, or ``None`` if it is not numeric.

    ``1``, ``"1"``, ``"01"``, ``1.0`` and ``"1,0"`` all give ``"1"``; ``"A1"``, ``True`` and
    ``NaN`` give ``None``.
    """
    if isinstance(key, bool) or key is None:
        return None
    if isinstance(key, float):
        if key != key or not key.is_integer() or key < 0:
            return None
        return str(int(key))
    if isinstance(key, int):
        return str(key) if key >= 0 else None
    m = _DIGITS.match(str(key))
    return str(int(m.group(1))) if m else None


def _within_one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by at most one insertion, deletion or substitution."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


def _check_reference(reference: pd.DataFrame) -> None:
    missing = [c for c in ("quarter_id", "name") if c not in reference.columns]
    if missing:
        raise InputDataError(
            Message(
                "io.keys.reference_columns",
                columns=", ".join(missing),
                found=listing(reference.columns),
            )
        )


class _Lookup:
    """Reference lookups; duplicate ids or names in the reference make a key ambiguous."""

    def __init__(self, ref_ids: list[str], ref_names: list[str], ambiguous: list[str]) -> None:
        self.by_num: dict[str, list[str]] = {}
        self.by_text_id: dict[str, list[str]] = {}
        self.by_exact: dict[str, list[str]] = {}
        self.by_norm: dict[str, list[str]] = {}
        for ref_id, name in zip(ref_ids, ref_names, strict=True):
            num = normalize_id(ref_id)
            if num is not None:
                self.by_num.setdefault(num, []).append(ref_id)
            self.by_text_id.setdefault(ref_id.casefold(), []).append(ref_id)
            self.by_exact.setdefault(name, []).append(ref_id)
            self.by_norm.setdefault(normalize_name(name), []).append(ref_id)
        self.norm_items = list(self.by_norm.items())
        self.ambiguous = ambiguous

    def unique(self, key: Hashable, ids: list[str] | None) -> str | None:
        if ids and len(ids) == 1:
            return ids[0]
        if ids:
            self.ambiguous.append(str(key))
        return None

    def name(self, key: Hashable, text: str, tolerant: bool) -> tuple[str | None, str]:
        """Return (quarter_id, how) for a name; how is exact/normalised/fuzzy/''."""
        qid = self.unique(key, self.by_text_id.get(text.casefold())) or self.unique(
            key, self.by_exact.get(text)
        )
        if qid is not None:
            return qid, "exact"
        norm = normalize_name(text)
        qid = self.unique(key, self.by_norm.get(norm))
        if qid is not None:
            return qid, "normalised"
        if tolerant and len(norm) >= FUZZY_MIN_LENGTH:
            close = {i for n, ids in self.norm_items if _within_one_edit(norm, n) for i in ids}
            if len(close) == 1:
                return close.pop(), "fuzzy"
            if len(close) > 1:
                self.ambiguous.append(str(key))
        return None, ""

    def key(self, key: Hashable, fuzzy: bool) -> tuple[str | None, str]:
        """Return (quarter_id, how) for one table key."""
        num = normalize_id(key)
        if num is not None:
            return self.unique(key, self.by_num.get(num)), ""
        text = str(key).strip()
        qid, how = self.name(key, text, tolerant=False)
        combined = _ID_AND_NAME.match(text) if qid is None else None
        if combined:
            # "01 Innenstadt-Ost": number and name must name the same quarter.
            by_id = self.unique(key, self.by_num.get(normalize_id(combined.group(1)) or ""))
            by_name, how = self.name(key, combined.group(2), tolerant=fuzzy)
            qid = by_id if by_id is not None and by_id == by_name else None
            return qid, "normalised" if how == "exact" else how
        if qid is None:
            return self.name(key, text, tolerant=fuzzy)
        return qid, how


def _distinct(table_keys: Iterable[Hashable]) -> list[Hashable]:
    """The keys in order of first appearance, without missing values."""
    distinct: list[Hashable] = []
    seen: set[Any] = set()
    for key in table_keys:
        if key is None or (isinstance(key, float) and key != key) or key in seen:
            continue
        seen.add(key)
        distinct.append(key)
    return distinct


def match_keys(
    table_keys: Iterable[Hashable],
    reference: pd.DataFrame,
    *,
    report: QualityReport | None = None,
    layer: str = "demographics",
    source: str | None = None,
    fuzzy: bool = True,
) -> tuple[dict[Hashable, str], list[Hashable]]:
    """Map table keys (quarter ids or names) to reference ``quarter_id`` values.

    Parameters
    ----------
    table_keys
        Keys as they appear in a table, repeated or not (e.g. the ``Stadtteil`` column of a
        long table). Missing values (``None``/``NaN``) are ignored.
    reference
        Table with columns ``quarter_id`` and ``name`` (e.g. the quarters GeoDataFrame).
    report
        Data-quality report that receives the findings (see the module docstring); when
        ``None`` nothing is recorded and the caller must handle ``unmatched`` itself.
    layer
        Layer name used in the findings.
    source
        File or table name used in the messages (defaults to ``layer``).
    fuzzy
        Whether a single misspelling may be tolerated (step 4 of the module docstring).

    Returns
    -------
    mapping : dict
        Original key → ``quarter_id`` (as ``str``) for every matched distinct key.
    unmatched : list
        The distinct keys that matched nothing, in order of first appearance.

    Raises
    ------
    InputDataError
        If ``reference`` lacks ``quarter_id`` or ``name``.
    """
    _check_reference(reference)
    where = source or layer
    ref_ids = reference["quarter_id"].astype(str).str.strip().tolist()
    ref_names = reference["name"].astype(str).tolist()
    found = KeyMatches()
    lookup = _Lookup(ref_ids, ref_names, found.ambiguous)
    if report is not None:
        report_reference_duplicates(
            report,
            layer,
            where,
            sorted({q for q in ref_ids if ref_ids.count(q) > 1}),
            sorted(n for n, ids in lookup.by_norm.items() if len(set(ids)) > 1),
        )
    for key in _distinct(table_keys):
        qid, how = lookup.key(key, fuzzy)
        if qid is None:
            found.unmatched.append(key)
            continue
        found.mapping[key] = qid
        if how == "normalised":
            found.normalised.append(f"{key} → {reference_name(qid, ref_ids, ref_names)}")
        elif how == "fuzzy":
            found.fuzzy.append(f"{key} → {reference_name(qid, ref_ids, ref_names)}")
    if report is not None:
        found.totals = [
            k for k in found.unmatched if any(h in normalize_name(k) for h in _TOTAL_HINTS)
        ]
        report_matches(report, layer, where, reference, found)
    return found.mapping, found.unmatched


def reference_name(qid: str, ref_ids: list[str], ref_names: list[str]) -> str:
    """Return ``"name (quarter_id)"`` for a reference id (used in report items)."""
    return f"{ref_names[ref_ids.index(qid)]} ({qid})"


def add_quarter_ids(
    table: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    key_column: str = "quarter_key",
    report: QualityReport | None = None,
    layer: str = "demographics",
    source: str | None = None,
    fuzzy: bool = True,
) -> pd.DataFrame:
    """Return ``table`` with a ``quarter_id`` column matched from ``key_column``.

    Rows whose key matches nothing keep a missing ``quarter_id`` (they are listed in the
    report by :func:`match_keys`); the caller decides whether to drop them.

    Parameters
    ----------
    table
        Table with a key column (names or ids).
    reference
        Table with ``quarter_id`` and ``name``.
    key_column
        Column of ``table`` holding the keys.
    report, layer, source, fuzzy
        As in :func:`match_keys`.

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` with ``quarter_id`` (``object`` dtype, ``None`` when unmatched)
        inserted after ``key_column``.

    Raises
    ------
    InputDataError
        If ``key_column`` is not a column of ``table``.
    """
    if key_column not in table.columns:
        raise InputDataError(
            Message(
                "io.keys.key_column_missing",
                source=source or layer,
                column=key_column,
                found=listing(table.columns),
            )
        )
    mapping, _ = match_keys(
        table[key_column], reference, report=report, layer=layer, source=source, fuzzy=fuzzy
    )
    out = table.copy()
    ids = [mapping.get(k) if k == k and k is not None else None for k in table[key_column]]
    if key_column == "quarter_id":
        # the table's own key is called quarter_id (e.g. the quarters layer itself): keep
        # it as quarter_key and put the matched ids in its place
        out.insert(_column_position(out, key_column), "quarter_key", out[key_column])
        out[key_column] = pd.Series(ids, dtype=object, index=out.index)
        return out
    if "quarter_id" in out.columns:
        out = out.drop(columns="quarter_id")
    out.insert(
        _column_position(out, key_column) + 1,
        "quarter_id",
        pd.Series(ids, dtype=object, index=out.index),
    )
    return out


def _column_position(frame: pd.DataFrame, column: str) -> int:
    """Position of a column (the stubs also allow a slice or mask, for repeated labels)."""
    return cast(int, frame.columns.get_loc(column))
