"""Generated municipalities for the batch tests and benchmark: one small town study each.

Every town is the street grid of :mod:`towns` (two quarters, services, a Zensus grid) with its
own Zensus seed and its own residents table, so that the towns' tables differ. A *broken* town
has a residents table without the column ``Einwohner`` that its study names.
"""

from __future__ import annotations

from pathlib import Path

from towns import write_town_osm, write_zensus

STUDY = """
name = "town-{ags}"
title = "{name}"
[quarters]
path = "town.osm"
admin_level = 10
[planning_areas]
mapping = {{ Mitte = ["Altstadt", "Neustadt"] }}
[demographics]
path = "einwohner.csv"
key_column = "Quartier"
year_column = "Jahr"
total_column = "Einwohner"
[demographics.bands]
u20 = "0-19"
"20-64" = "20-64"
"65-79" = "65-79"
"80+" = "80+"
[population_grid]
path = "{population}"
additional_paths = ["{ages}"]
[services]
path = "town.osm"
[network]
path = "town.osm"
"""


def write_town(folder: Path, ags: str, name: str, k: int, *, broken: bool = False) -> Path:
    """Write one town's inputs and study into ``folder``; return the study file."""
    folder.mkdir(parents=True, exist_ok=True)
    write_town_osm(folder / "town.osm")
    zensus = write_zensus(folder, seed=k)
    total = "Summe" if broken else "Einwohner"
    rows = [f"Quartier;Jahr;{total};u20;20-64;65-79;80+"]
    for quarter, base in (("Altstadt", 800), ("Neustadt", 600)):
        for year in (2022, 2024):
            u20, work, old, oldest = 150 + k, 450 + 10 * k, 160 + k, 60 + 3 * k
            total_n = u20 + work + old + oldest + base % 7
            rows.append(f"{quarter};{year};{total_n};{u20};{work};{old};{oldest}")
    (folder / "einwohner.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    study = folder / "study.toml"
    study.write_text(
        STUDY.format(
            ags=ags, name=name, population=zensus["population"].name, ages=zensus["age_10y"].name
        ),
        encoding="utf-8",
    )
    return study


def write_towns(
    root: Path, n: int, *, broken: tuple[int, ...] = (), workers: int = 2
) -> tuple[Path, list[str]]:
    """Write ``n`` towns under ``root/gemeinden/<ags>/`` and a batch file ``root/batch.toml``.

    Parameters
    ----------
    root
        Folder of the batch.
    n
        Number of towns.
    broken
        Indexes of towns whose residents table lacks the total column.
    workers
        ``[cluster] workers`` of the batch file.

    Returns
    -------
    tuple
        The batch file and the towns' keys (AGS) in order.
    """
    keys = [f"0821{k:04d}" for k in range(n)]
    entries = []
    for k, ags in enumerate(keys):
        name = f"Musterstadt {k}"
        write_town(root / "gemeinden" / ags, ags, name, k, broken=k in broken)
        entries.append(f'[[municipalities]]\nags = "{ags}"\nname = "{name}"\n')
    batch = root / "batch.toml"
    batch.write_text(
        'study = "gemeinden/{ags}/study.toml"\nout = "ergebnisse"\n'
        f"[cluster]\nworkers = {workers}\n\n" + "\n".join(entries),
        encoding="utf-8",
    )
    return batch, keys
