"""UI texts: the ``ui`` section of the message catalog (``sqe_geo/i18n/<lang>/ui.toml``)."""

from __future__ import annotations

from sqe_geo.i18n.messages import catalog, has_text, text


def t(key: str, language: str = "de", **kwargs: object) -> str:
    """The UI text ``ui.<key>`` in ``language``, filled in with ``kwargs``."""
    return text(f"ui.{key}", language, **kwargs)


def finding_label(value: str, language: str = "de") -> str:
    """A finding's severity or layer in the UI language (the value itself when unknown)."""
    for section in ("common.severity", "common.layer"):
        if has_text(f"{section}.{value}"):
            return text(f"{section}.{value}", language)
    return value


def parameter_name(name: str, language: str = "de") -> str:
    """A computation parameter's name (a key of ``Results.parameters``) in ``language``."""
    key = f"ui.parameter_names.{name}"
    return text(key, language) if has_text(key) else name


def column_names(table: str, language: str) -> dict[str, str]:
    """Column id -> header of a table shown on the data page (``ui.<table>_columns``)."""
    prefix = f"ui.{table}_columns."
    return {
        key.removeprefix(prefix): text(key, language)
        for key in catalog("en")
        if key.startswith(prefix)
    }
