"""The examples in the docstrings run (numpydoc ``Examples`` sections)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "sqe_geo.i18n.formatting",
    "sqe_geo.stats.relations",
    "sqe_geo.stats.privacy",
    "sqe_geo.population.demographics",
    "sqe_geo.outputs.origins_map",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
