"""The message catalogs: German and English hold the same keys with the same fields."""

from __future__ import annotations

import string

import pytest

from sqe_geo._errors import InputDataError, listing
from sqe_geo.i18n.messages import LANGUAGES, Message, catalog, text, use_language
from sqe_geo.quality import QualityReport


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_have_the_same_keys():
    de, en = catalog("de"), catalog("en")
    assert sorted(set(de) - set(en)) == []
    assert sorted(set(en) - set(de)) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_is_a_valid_template_with_the_same_fields(language):
    other = catalog("en" if language == "de" else "de")
    for key, template in catalog(language).items():
        assert template.strip(), f"{language}: {key} is empty"
        assert _fields(template) == _fields(other[key]), f"{key}: fields differ"


def test_a_message_renders_in_the_language_of_the_reader():
    error = InputDataError(Message("common.and_more", n=3))
    assert str(error) == "… and 3 more"
    with use_language("de"):
        assert str(error) == "… und 3 weitere"
        assert listing(["a", "b", "c"], limit=1) == "'a', … und 2 weitere"
    assert text("common.and_more", "de", n=1) == "… und 1 weitere"


def test_a_finding_renders_in_the_language_of_the_reader():
    report = QualityReport()
    report.add("x", "quarters", Message("common.and_more", n=2), items=range(25))
    with use_language("de"):
        assert report.findings[0].message == "… und 2 weitere"
        assert report.findings[0].listed().endswith("… und 5 weitere")
    assert report.findings[0].listed().endswith("… and 5 more")
