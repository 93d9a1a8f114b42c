"""Linear relations between the count variables that disclosure control must respect.

Published tables are attacked as a whole: besides the hierarchy (quarters sum to planning
areas, planning areas to the city, handled in :mod:`sqe_geo.stats.suppression`), counts of one
unit and year are tied to each other. :func:`count_relations` lists those ties for the
protected variables of a catalog, so that a planner's new indicator is covered by adding
its inputs, without code:

* **Age groups.** A count of an age group equals the sum of counts of groups that tile its
  range exactly, for the same measure: ``total = young + working_age + older`` and
  ``older = young_old + oldest_old`` with the default groups, and just as well
  ``within_food_older = within_food_young_old + within_food_oldest_old``. The tiling is
  found from the study's age ranges, so ``older = "60+"`` gives other relations.
* **Reached or not.** ``counted_{cat}_{g} = reached_{cat}_{g} + unreachable_{cat}_{g}``
  (every resident a category is taken over either reaches a service of it over the
  network or not), ``origins_{g} ≥ counted_{cat}_{g}`` (quarters that are not computed
  are left out) and ``reached_{cat}_{g} ≥ within_{cat}_{g}`` (within the threshold
  implies reached).
* **Located residents.** ``{g} = origins_{g}`` and ``{g} = counted_{cat}_{g}``: the
  residents' locations are scaled to the published counts of each quarter, and a quarter
  that is not computed for a category shows it (its difference is a residual, below).

A relation whose total is protected but some of whose parts are not (they are never
published, e.g. ``within_food_young``) still tells that the total is at least the sum of
the protected parts; it is kept as an inequality. A relation whose total is not protected
is left out. Where the data break an equality, an attacker cannot rely on it there (the
age groups' locations are estimated one by one, so ``within_food_older`` and the sum of
its two parts differ by fractions of a person), except where the difference is published:
the published age bands of Karlsruhe's 2016 figures do not add up to the total, and the
data-quality report lists the difference per quarter. That difference is a variable of its
own (:attr:`Relation.residual`), protected like a count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from sqe_geo.population.demographics import tile_range

__all__ = ["TOTAL_GROUP", "Relation", "count_relations", "split_group"]

#: The age group of the total population (all ages).
TOTAL_GROUP = "total"

AgeRange = tuple[int, int | None]


class _Add(Protocol):
    def __call__(self, total: str, parts: list[str], *, at_least: bool = False) -> None: ...


@dataclass(frozen=True)
class Relation:
    """``total = Σ parts (+ residual)`` or, when not exact, ``total ≥ Σ parts``.

    Attributes
    ----------
    total
        The count variable on the left.
    parts
        The count variables that add up to it (only protected ones).
    exact
        False when parts that are never published were left out: then only
        ``total ≥ Σ parts`` is known.
    residual_published
        Whether the difference ``total − Σ parts`` is published where the data break the
        relation (the data-quality report lists the persons of unknown age per quarter).
        Otherwise an attacker cannot rely on the relation where it does not hold.
    """

    total: str
    parts: tuple[str, ...]
    exact: bool = True
    residual_published: bool = False

    @property
    def residual(self) -> str:
        """Name of the variable that holds ``total − Σ parts`` where the data break it."""
        return f"{self.total} - ({' + '.join(self.parts)})"


def split_group(variable: str, groups: Iterable[str]) -> tuple[str, str] | None:
    """Split a count variable into a measure prefix and an age group.

    Parameters
    ----------
    variable
        A count column, e.g. ``"within_food_oldest_old"`` or ``"older"``.
    groups
        Age group names (``"total"`` included).

    Returns
    -------
    tuple or None
        ``(prefix, group)`` with ``prefix + group == variable`` (the longest group that
        matches), or None when the variable names no age group.

    Examples
    --------
    >>> split_group("within_food_oldest_old", ["older", "oldest_old", "total"])
    ('within_food_', 'oldest_old')
    >>> split_group("older", ["older", "oldest_old"])
    ('', 'older')
    """
    best: tuple[str, str] | None = None
    for group in groups:
        if variable == group or variable.endswith(f"_{group}"):
            prefix = variable[: len(variable) - len(group)]
            if best is None or len(group) > len(best[1]):
                best = (prefix, group)
    return best


def _tilings(ranges: Mapping[str, AgeRange], target: str) -> list[tuple[str, ...]]:
    """Sets of two or more other groups whose ranges tile ``target``'s range exactly."""
    others = {g: r for g, r in ranges.items() if g != target}
    found = [tuple(t) for t in tile_range(others, ranges[target]) if len(t) >= 2]
    # A longer tiling refines a shorter one (total = young + working_age + young_old +
    # oldest_old follows from the two relations with older); keep the shortest.
    shortest = min((len(t) for t in found), default=0)
    return [t for t in found if len(t) == shortest]


def count_relations(variables: Iterable[str], age_ranges: Mapping[str, AgeRange]) -> list[Relation]:
    """The relations between protected count variables of one unit and year.

    Parameters
    ----------
    variables
        The protected count variables (:func:`sqe_geo.stats.value_masks.protected_variables`).
    age_ranges
        Age group -> ``(low, high)`` range (``high`` None = open), without ``total``.

    Returns
    -------
    list of Relation
        Each relation once, in a stable order.

    Examples
    --------
    >>> ranges = {"young": (0, 19), "working_age": (20, 64), "older": (65, None)}
    >>> (rel,) = count_relations(["total", "young", "working_age", "older"], ranges)
    >>> rel.total, rel.parts, rel.exact
    ('total', ('young', 'working_age', 'older'), True)
    """
    protected = list(dict.fromkeys(variables))
    known = set(protected)
    ranges: dict[str, AgeRange] = {TOTAL_GROUP: (0, None), **age_ranges}
    tilings = {group: _tilings(ranges, group) for group in ranges}
    out: dict[Relation, None] = {}

    def add(total: str, parts: list[str], *, at_least: bool = False) -> None:
        published = tuple(p for p in parts if p in known)
        if total in known and published:
            exact = not at_least and len(published) == len(parts)
            gap_published = exact and total == TOTAL_GROUP
            out[Relation(total, published, exact, gap_published)] = None

    for variable in protected:
        split = split_group(variable, ranges)
        if split is None:
            continue
        prefix, group = split
        for tiling in tilings[group]:
            add(variable, [f"{prefix}{g}" for g in tiling])
        if prefix == "origins_":
            add(group, [variable])
        for measure in ("counted_", "reached_", "unreachable_", "within_"):
            if prefix.startswith(measure):
                _access_relations(add, prefix[len(measure) :], group, measure)
    return list(out)


def _access_relations(add: _Add, category: str, group: str, measure: str) -> None:
    """Relations of one accessibility count ``{measure}{category}{group}``."""
    origins, counted = f"origins_{group}", f"counted_{category}{group}"
    reached, unreachable = f"reached_{category}{group}", f"unreachable_{category}{group}"
    variable = f"{measure}{category}{group}"
    # The residents a category is taken over either reach a service or not; they are the
    # located residents, or fewer where a quarter is not computed for the category.
    add(counted, [reached, unreachable])
    # Where a quarter is computed, a category is taken over all its residents of the group.
    add(group, [counted])
    add(origins, [reached, unreachable], at_least=True)
    add(origins, [counted], at_least=True)
    if measure == "within_":
        add(reached, [variable], at_least=True)
        add(counted, [variable], at_least=True)
        add(origins, [variable], at_least=True)
