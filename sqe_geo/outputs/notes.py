"""The note beside every row of an exported table: demo data, schematic boundaries,
disclosure control switched off."""

from __future__ import annotations

from sqe_geo.i18n.messages import text
from sqe_geo.results import Results


def internal_note(language: str = "de") -> tuple[str, str]:
    """(column, text) written beside every row when a study switched disclosure control off."""
    return text("outputs.export.note_column", language), text("outputs.export.internal", language)


def row_note(results: Results, language: str = "de") -> str | None:
    """The note written beside every row of every table, or None when there is nothing to say.

    A scenario's name, demo data (partly synthetic), schematic boundaries and disclosure
    control switched off travel with the figures themselves, not only in the metadata: a
    table copied out of its file still says so.

    Parameters
    ----------
    results
        Output of :func:`sqe_geo.pipeline.run`.
    language
        ``"de"`` or ``"en"``.
    """
    config = results.study.config
    notes = []
    scenario = results.parameters.get("scenario")
    if scenario:
        notes.append(text("outputs.export.metadata.scenario_note", language, name=str(scenario)))
    if config.demo:
        notes.append(text("outputs.export.metadata.demo", language))
    if config.schematic_boundaries:
        notes.append(text("outputs.map.schematic", language))
    if not config.disclosure.enabled:
        notes.append(internal_note(language)[1])
    return "; ".join(notes) or None
