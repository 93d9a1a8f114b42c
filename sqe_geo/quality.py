"""The data-quality report.

Nothing is dropped, repaired or guessed silently in sqe-geo: every such event is recorded
here as a :class:`Finding` with a count and the affected records, so that the CLI
(``sqe-geo validate``), the app and the XLSX export can show it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from sqe_geo.i18n.messages import Message, has_text, text

Severity = Literal["error", "warning", "info"]

#: How many affected records a finding lists before it says "and N more".
MAX_LISTED = 20


@dataclass(frozen=True)
class Finding:
    """One data-quality observation.

    Parameters
    ----------
    check
        Short machine name of the check, e.g. ``"unmatched_keys"``.
    layer
        Which input the finding is about (``"quarters"``, ``"demographics"``, ...).
    text
        One sentence for people, naming the file/column and what happened: a catalog
        :class:`~sqe_geo.i18n.messages.Message`, rendered in the reader's language
        (:attr:`message`).
    severity
        ``"error"`` stops the run, ``"warning"`` affects results, ``"info"`` is a note.
    count
        Number of affected records.
    items
        The affected records (ids, names), shortened to :data:`MAX_LISTED` when shown.
    """

    check: str
    layer: str
    text: Message | str
    severity: Severity = "warning"
    count: int = 0
    items: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """The finding's sentence in the current language."""
        return str(self.text)

    def listed(self) -> str:
        """Return the affected records as a short comma-separated text."""
        shown = ", ".join(self.items[:MAX_LISTED])
        more = len(self.items) - MAX_LISTED
        return f"{shown}, {text('common.and_more', n=more)}" if more > 0 else shown


@dataclass
class QualityReport:
    """An ordered collection of :class:`Finding` objects."""

    findings: list[Finding] = field(default_factory=list)

    def add(
        self,
        check: str,
        layer: str,
        message: Message | str,
        *,
        severity: Severity = "warning",
        items: Iterable[object] = (),
        count: int | None = None,
    ) -> Finding:
        """Record a finding and return it."""
        listed = tuple(str(i) for i in items)
        finding = Finding(
            check=check,
            layer=layer,
            text=message,
            severity=severity,
            count=len(listed) if count is None else int(count),
            items=listed,
        )
        self.findings.append(finding)
        return finding

    def extend(self, other: QualityReport) -> None:
        """Append all findings of ``other``."""
        self.findings.extend(other.findings)

    def by_check(self, check: str) -> list[Finding]:
        """Return the findings of one check."""
        return [f for f in self.findings if f.check == check]

    @property
    def has_errors(self) -> bool:
        """Whether any finding has severity ``"error"``."""
        return any(f.severity == "error" for f in self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def to_frame(self) -> pd.DataFrame:
        """Return the report as a table (one row per finding)."""
        columns: Sequence[str] = ("severity", "layer", "check", "count", "message", "items")
        rows = [
            (f.severity, f.layer, f.check, f.count, f.message, f.listed()) for f in self.findings
        ]
        return pd.DataFrame(rows, columns=list(columns))

    def to_text(self) -> str:
        """Return a plain-text rendering for the terminal, in the current language.

        Severity and input are the words of the common catalog section (``common.severity``,
        ``common.layer``); an input without a word keeps its id.
        """
        if not self.findings:
            return text("study.report.none")
        lines = [text("study.report.header", n=len(self.findings))]
        for f in self.findings:
            severity = text(f"common.severity.{f.severity}").upper()
            layer_key = f"common.layer.{f.layer}"
            layer = text(layer_key) if has_text(layer_key) else f.layer
            lines.append(f"[{severity:7}] {layer}: {f.message}")
            if f.items:
                affected = text("study.report.affected", n=f.count, items=f.listed())
                lines.append(f"          {affected}")
        return "\n".join(lines)
