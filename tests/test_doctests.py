"""The examples in the docstrings run (numpydoc ``Examples`` sections)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "sqe_geo.formatting",
    "sqe_geo.relations",
    "sqe_geo.privacy",
    "sqe_geo.demographics",
    "sqe_geo.origins_map",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
