"""The Jinja2 templates of the HTML that sqe-geo writes (reports, legends, small maps).

Templates live in ``sqe_geo/outputs/templates/`` (shipped in the wheel) and are rendered
with autoescape on: every text from data (quarter names, labels, sources) is escaped by the
template, never by hand. SVG and HTML that another template rendered is passed as
:class:`markupsafe.Markup` so that it is not escaped twice.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

__all__ = ["environment", "render"]


@cache
def environment() -> Environment:
    """The template environment (autoescape for ``.html.j2`` and ``.svg.j2`` templates)."""
    return Environment(
        loader=PackageLoader("sqe_geo.outputs", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html", "svg", "html.j2", "svg.j2"), default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render(name: str, /, **context: object) -> str:
    """Render the template ``name`` (e.g. ``"profile.html.j2"``) with ``context``.

    Parameters
    ----------
    name
        File name in ``sqe_geo/outputs/templates/``.
    **context
        The template's variables.

    Returns
    -------
    str
        The rendered text.
    """
    return environment().get_template(name).render(**context)
