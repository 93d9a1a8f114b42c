"""The message catalogs of German and English: every text that a user sees.

The catalog of a language is the folder ``sqe_geo/i18n/<language>/``; each TOML file in it is
one section (``ui.toml``, ``errors.toml``, ``findings.toml`` …) and its keys are prefixed with
the file's name: ``ui.page_map`` is the key ``page_map`` of ``ui.toml``. Texts are
:meth:`str.format` templates with named fields. Both languages hold the same keys with the
same fields (checked by ``tests/test_i18n.py``).

Library code does not format a text when it raises an error or records a finding: it keeps
a :class:`Message` (a key and its parameters), which is rendered in the language of the
reader when shown — ``str(error)`` in the app's or CLI's language, a finding in the language
of the export. :func:`use_language` sets that language for a block of code (the app sets it
for each page run, the CLI for the command); it is English by default.

>>> text("ui.page_map", "de")
'Karte'
>>> with use_language("de"):
...     str(Message("ui.page_map"))
'Karte'
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Literal

Language = Literal["de", "en"]

#: The languages that have a catalog; German is the app's default.
LANGUAGES: tuple[Language, ...] = ("de", "en")

_LANGUAGE: ContextVar[Language] = ContextVar("sqe_geo_language", default="en")


def current_language() -> Language:
    """The language that messages are rendered in (set by :func:`use_language`)."""
    return _LANGUAGE.get()


def as_language(value: object) -> Language:
    """``value`` as a catalog language; unknown values give English.

    >>> as_language("de"), as_language("fr")
    ('de', 'en')
    """
    for language in LANGUAGES:
        if value == language:
            return language
    return "en"


@contextmanager
def use_language(language: str) -> Iterator[None]:
    """Render messages in ``language`` inside the ``with`` block.

    Parameters
    ----------
    language
        ``"de"`` or ``"en"``; any other value gives English.
    """
    token = _LANGUAGE.set(as_language(language))
    try:
        yield
    finally:
        _LANGUAGE.reset(token)


@cache
def catalog(language: Language) -> Mapping[str, str]:
    """All texts of one language, keyed ``section.key``.

    Raises
    ------
    RuntimeError
        When a section file is not valid TOML or holds a value that is not text (a broken
        installation, not a user error).
    """
    folder = resources.files("sqe_geo.i18n").joinpath(language)
    texts: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        section = entry.name.removesuffix(".toml")
        try:
            table = tomllib.loads(entry.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise RuntimeError(f"message catalog {language}/{entry.name}: {exc}") from exc
        for key, value in _flatten(table):
            if not isinstance(value, str):
                raise RuntimeError(f"message catalog {language}/{entry.name}: {key} is no text")
            texts[f"{section}.{key}"] = value
    return texts


def _flatten(table: Mapping[str, object], prefix: str = "") -> Iterator[tuple[str, object]]:
    for key, value in table.items():
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def has_text(key: str) -> bool:
    """Whether ``key`` is in the catalog (of English, which holds the same keys as German)."""
    return key in catalog("en")


def text(key: str, language: str | None = None, /, **params: object) -> str:
    """The text ``key`` in ``language`` (default: :func:`current_language`), filled in.

    Parameters
    ----------
    key
        ``section.key``, e.g. ``"ui.page_map"``.
    language
        ``"de"`` or ``"en"``.
    **params
        Values of the template's fields; a :class:`Message` among them is rendered in the
        same language.

    Raises
    ------
    KeyError
        When the key is not in the catalog (a programming error).
    """
    lang = as_language(language) if language is not None else current_language()
    template = catalog(lang)[key]
    if not params:
        return template
    values = {k: v.render(lang) if isinstance(v, Message) else v for k, v in params.items()}
    return template.format(**values)


@dataclass(frozen=True)
class Message:
    """A catalog text not yet rendered: a key and its parameters.

    Parameters
    ----------
    key
        ``section.key`` in the catalog.
    params
        Values of the template's fields (text, numbers or other messages).
    """

    key: str
    params: Mapping[str, object] = field(default_factory=dict)

    def __init__(self, key: str, /, **params: object) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "params", params)

    def render(self, language: str | None = None) -> str:
        """The text in ``language`` (default: :func:`current_language`)."""
        return text(self.key, language, **self.params)

    def __str__(self) -> str:
        return self.render()
