"""The data-quality findings of key matching (:func:`sqe_geo.io.keys.match_keys`).

Everything that is not a plain id or exact name match is recorded: normalised and fuzzy
matches, unmatched keys, several table keys for one quarter, duplicate reference ids/names
and quarters without any key.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from sqe_geo.i18n.messages import Message
from sqe_geo.quality import QualityReport

__all__ = ["KeyMatches", "report_matches", "report_reference_duplicates"]


@dataclass
class KeyMatches:
    """The outcome of matching table keys to quarters, and how each key matched.

    Attributes
    ----------
    mapping
        Original key → ``quarter_id``.
    unmatched
        Keys that matched nothing, in order of first appearance.
    normalised, fuzzy
        ``"key → name (quarter_id)"`` of keys matched after normalisation / with one edit.
    ambiguous
        Keys that several quarters match equally well.
    totals
        Unmatched keys that look like totals (``"Stadt gesamt"``).
    """

    mapping: dict[Hashable, str] = field(default_factory=dict)
    unmatched: list[Hashable] = field(default_factory=list)
    normalised: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    totals: list[Hashable] = field(default_factory=list)


def report_reference_duplicates(
    report: QualityReport,
    layer: str,
    where: str,
    dup_ids: Sequence[str],
    dup_names: Sequence[str],
) -> None:
    """Findings on repeated ids and names in the quarter reference.

    Parameters
    ----------
    report, layer
        Receive ``duplicate_reference_ids`` (error) and ``duplicate_reference_names``.
    where
        The table whose keys are matched (for the message).
    dup_ids, dup_names
        The repeated ``quarter_id`` values and normalised names.
    """
    if dup_ids:
        report.add(
            "duplicate_reference_ids",
            layer,
            Message("io.keys.duplicate_reference_ids", where=where),
            severity="error",
            items=dup_ids,
        )
    if dup_names:
        report.add(
            "duplicate_reference_names",
            layer,
            Message("io.keys.duplicate_reference_names", where=where),
            severity="warning",
            items=dup_names,
        )


def report_matches(
    report: QualityReport, layer: str, where: str, reference: pd.DataFrame, found: KeyMatches
) -> None:
    """Findings on how the keys of one table matched the quarters.

    Parameters
    ----------
    report, layer
        Receive ``normalised_key_match`` (info), ``fuzzy_key_match``, ``unmatched_keys``,
        ``duplicate_keys`` (error) and ``quarters_without_data``.
    where
        The table whose keys were matched (for the message).
    reference
        The quarters (``quarter_id``, ``name``).
    found
        The outcome of matching.
    """
    if found.normalised:
        report.add(
            "normalised_key_match",
            layer,
            Message("io.keys.normalised_match", n=len(found.normalised), where=where),
            severity="info",
            items=found.normalised,
        )
    if found.fuzzy:
        report.add(
            "fuzzy_key_match",
            layer,
            Message("io.keys.fuzzy_match", n=len(found.fuzzy), where=where),
            severity="warning",
            items=found.fuzzy,
        )
    if found.unmatched:
        _report_unmatched(report, layer, where, found)
    by_quarter: dict[str, list[str]] = {}
    for key, qid in found.mapping.items():
        by_quarter.setdefault(qid, []).append(str(key))
    multi = [f"{q}: {' | '.join(ks)}" for q, ks in by_quarter.items() if len(ks) > 1]
    if multi:
        report.add(
            "duplicate_keys",
            layer,
            Message("io.keys.duplicate_keys", n=len(multi), where=where),
            severity="error",
            items=multi,
        )
    ref_ids = reference["quarter_id"].astype(str).str.strip()
    missing = sorted(set(ref_ids) - set(found.mapping.values()))
    if missing:
        names = reference.assign(_q=ref_ids).set_index("_q")["name"]
        report.add(
            "quarters_without_data",
            layer,
            Message("io.keys.quarters_without_data", n=len(missing), where=where),
            severity="warning",
            items=[f"{names.loc[q] if q in names.index else ''} ({q})" for q in missing],
        )


def _report_unmatched(report: QualityReport, layer: str, where: str, found: KeyMatches) -> None:
    totals = found.totals
    hint = (
        Message(
            "io.keys.unmatched_totals",
            n=len(totals),
            examples=", ".join(map(str, totals[:3])),
        )
        if totals
        else ""
    )
    amb = (
        Message("io.keys.unmatched_ambiguous", keys=", ".join(found.ambiguous))
        if found.ambiguous
        else ""
    )
    report.add(
        "unmatched_keys",
        layer,
        Message(
            "io.keys.unmatched",
            n=len(found.unmatched),
            where=where,
            totals=hint,
            ambiguous=amb,
        ),
        severity="warning",
        items=found.unmatched,
    )
