"""Every page of the app speaks one language: no text of the other language's catalog.

Each page is rendered with AppTest in German (the default) and in English (chosen in the
sidebar). The texts of the rendered elements — markdown, captions, titles, widget labels,
options, placeholders, help, errors, warnings, infos, metric labels, tab labels, dataframe
headers and text cells — must not contain a text that only the other language's catalog
holds: a catalog value (or a long literal part of a template) that differs between German
and English and is no part of any text of the shown language. Indicator labels of the
indicator catalog count as catalog texts too.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from google.protobuf.message import Message as Proto
from streamlit.testing.v1 import AppTest

from sqe_geo._resources import DEMO_STUDY
from sqe_geo.config import load_config
from sqe_geo.i18n.messages import catalog
from sqe_geo.stats.indicators import load_catalog

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGES = ["karte", "vergleich", "profil", "export", "daten"]
TIMEOUT = 120
#: Texts shorter than this are too ambiguous to tell the language ("Map", "Art", "ID").
MIN_LENGTH = 4
#: Literal parts of templates with fields must be this long to be checked.
MIN_PART = 15
#: Fields of element protos that hold text a reader sees.
TEXT_FIELDS = {
    "label", "help", "placeholder", "options", "body", "text", "title", "caption", "value",
    "default", "delta", "display_value", "formatted_value",
}  # fmt: skip
#: Elements whose payload is not text shown by Streamlit (the map's HTML and Leaflet).
SKIPPED_TYPES = {"component_instance", "dataframe", "table", "vega_lite_chart"}

#: Known gaps in other parts of the package (language, fragment of the shown text): texts
#: that do not come from the catalog yet. Remove an entry when its text does.
PENDING: tuple[tuple[str, str], ...] = ()


@pytest.fixture(autouse=True)
def _demo_study(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SQE_STUDY", raising=False)


def _pieces(template: str) -> list[str]:
    """The checkable parts of a catalog text: whole, or its long literal parts."""
    parts = [lit for lit, *_ in string.Formatter().parse(template)]
    if len(parts) == 1 and "{" not in template:
        return [template.strip()] if len(template.strip()) >= MIN_LENGTH else []
    return [p.strip() for p in parts if len(p.strip()) >= MIN_PART]


def _pairs() -> list[tuple[str, str]]:
    """(German, English) of every catalog text and every indicator label."""
    de, en = catalog("de"), catalog("en")
    pairs = [(de[key], en[key]) for key in de]
    pairs += [(ind.label_de, ind.label_en) for ind in load_catalog()]
    return pairs


@cache
def foreign_pattern(language: str) -> re.Pattern[str]:
    """Texts that only the other language's catalog holds, as one word-bounded regex."""
    pairs = _pairs()
    own = [de if language == "de" else en for de, en in pairs]
    other = [en if language == "de" else de for de, en in pairs]
    own_text = "\n".join(own).lower()
    foreign: set[str] = set()
    for mine, theirs in zip(own, other, strict=True):
        if mine == theirs:
            continue
        for piece in _pieces(theirs):
            if not re.search(rf"(?<!\w){re.escape(piece.lower())}(?!\w)", own_text):
                foreign.add(piece)
    alternatives = "|".join(re.escape(p) for p in sorted(foreign, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def _proto_texts(proto: Proto) -> Iterator[str]:
    for descriptor, value in proto.ListFields():
        single = isinstance(value, (str, bytes, Proto)) or not hasattr(value, "__iter__")
        items = [value] if single else list(value)
        for item in items:
            if isinstance(item, Proto):
                yield from _proto_texts(item)
            elif isinstance(item, str) and descriptor.name in TEXT_FIELDS:
                yield item


def _frame_texts(frame: pd.DataFrame) -> Iterator[str]:
    yield from (str(c) for c in frame.columns)
    for column in frame.columns:
        yield from (v for v in frame[column] if isinstance(v, str))


def _nodes(node: object) -> Iterator[object]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def shown_texts(at: AppTest) -> list[str]:
    """Every text of the rendered elements (see the module's docstring)."""
    texts: list[str] = []
    for node in _nodes(at._tree):
        kind = getattr(node, "type", None)
        if kind in ("dataframe", "table"):
            frame = node.value  # type: ignore[attr-defined]
            texts += _frame_texts(frame.data if hasattr(frame, "data") else frame)
        proto = getattr(node, "proto", None)
        if kind not in SKIPPED_TYPES and isinstance(proto, Proto):
            texts += _proto_texts(proto)
    return texts


def render(page: str, language: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    if language != "de":
        at.radio(key="w_lang").set_value(language).run()
    at.switch_page(f"sqe_geo/ui/pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@cache
def study_texts() -> tuple[str, ...]:
    """Title, description and sources of the demo study: data of the study (written in
    German), shown as they are in both languages."""
    config = load_config(DEMO_STUDY)
    texts = [config.title or "", config.description or ""]
    texts += [v for source in config.sources for v in source.model_dump().values()]
    return tuple(sorted({t for t in texts if isinstance(t, str) and t}, key=len, reverse=True))


def foreign_texts(texts: list[str], language: str) -> list[tuple[str, str]]:
    """(foreign catalog text, where it was shown) for each hit; markup and the study's
    own texts (data, not catalog texts) are left out."""
    pattern = foreign_pattern(language)
    hits = []
    for shown in texts:
        plain = re.sub(r"<[^>]*>", " ", shown)
        for data in study_texts():
            plain = plain.replace(data, " ")
        if any(lang == language and part in plain for lang, part in PENDING):
            continue
        hits += [(m.group(0), plain[:160]) for m in pattern.finditer(plain)]
    return hits


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_speaks_one_language(page: str, language: str):
    at = render(page, language)
    texts = shown_texts(at)
    assert len(texts) > 5, texts
    assert foreign_texts(texts, language) == []


def test_the_check_finds_a_text_of_the_other_language():
    german = ["Studie: Demo", "Altern und Erreichbarkeit im Quartier"]
    assert foreign_texts(german, "de") == []
    assert foreign_texts(["Planungsräume vergleichen"], "en")
    assert foreign_texts(["Ageing and accessibility by quarter"], "de")


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_upload_form_speaks_one_language(language: str):
    """The data page with files uploaded: column mapping, the computed study's findings."""
    import sqe_geo

    quarters = sqe_geo.load_study(DEMO_STUDY).quarters.to_crs(4326)
    boundaries = quarters.rename(columns={"planning_area": "plan_area"}).to_json().encode()
    table = pd.read_csv(DEMO_STUDY.parent / "demographics.csv", sep=";", dtype=str)
    residents = table.drop(columns=["Stadtteil_Nr", "Quelle"]).to_csv(index=False).encode()
    at = render("daten", language)
    at.file_uploader(key="up_b").set_value(("quartiere.geojson", boundaries, "application/json"))
    at.file_uploader(key="up_d").set_value(("einwohner.csv", residents, "text/csv"))
    at.run()
    at.button(key="up_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success
    assert foreign_texts(shown_texts(at), language) == []
