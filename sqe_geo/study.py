"""Loading a study: read, validate and reproject every input named in the study file.

:func:`load_study` returns a :class:`Study` with the quarters (and their planning area),
the canonical demographics table, the services and the data-quality report. The walking
network and the residents' locations are read by the accessibility step, which needs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sqe_geo._errors import InputDataError, listing
from sqe_geo.config import StudyConfig, load_config
from sqe_geo.config_layers import DemographicsConfig, ServicesConfig
from sqe_geo.io.keys import add_quarter_ids, match_keys, normalize_name
from sqe_geo.io.layers import is_json_list, is_osm, is_zensus_grid, read_vector
from sqe_geo.io.osm import read_osm_services
from sqe_geo.io.osm_boundaries import read_osm_boundaries
from sqe_geo.io.osm_json import read_service_list_json
from sqe_geo.io.portal import read_portal_bands
from sqe_geo.io.tables import TableLayout, clean_control_characters, read_table
from sqe_geo.population.demographics import canonical_counts, to_wide
from sqe_geo.population.zensus import zensus_to_quarters
from sqe_geo.population.zensus_ages import zensus_age_groups
from sqe_geo.population.zensus_csv import ZENSUS_CRS, read_zensus_grid
from sqe_geo.quality import QualityReport

#: Planning area of quarters that no planning-area entry names.
UNASSIGNED = "ohne Zuordnung"
#: Overlaps and gaps between quarters smaller than this (m²) are slivers, not findings.
SLIVER_M2 = 100.0


@dataclass
class Study:
    """A loaded study: validated inputs in the analysis CRS plus the data-quality report."""

    config: StudyConfig
    quarters: gpd.GeoDataFrame
    demographics: pd.DataFrame
    services: gpd.GeoDataFrame | None
    report: QualityReport = field(default_factory=QualityReport)
    grid_cells: gpd.GeoDataFrame | None = None

    @property
    def years(self) -> list[int]:
        """The years of the demographics, ascending."""
        return sorted(int(y) for y in self.demographics["year"].unique())

    @property
    def planning_areas(self) -> list[str]:
        """Planning-area names in order of first appearance."""
        return list(dict.fromkeys(self.quarters["planning_area"]))

    @property
    def age_groups(self) -> list[str]:
        """The age groups present in the demographics."""
        return [c for c in self.demographics.columns if c not in ("quarter_id", "year")]


def _normalise_ids(values: pd.Series) -> pd.Series:
    """Quarter ids as strings; integer ids zero-padded so they sort ("01" … "27")."""
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all() and (numeric == numeric.round()).all():
        ints = numeric.astype(int)
        width = max(2, len(str(ints.max())))
        return ints.astype(str).str.zfill(width)
    return values.astype(str).str.strip()


def read_quarters(config: StudyConfig, report: QualityReport) -> gpd.GeoDataFrame:
    """Read the quarter boundaries: ``quarter_id``, ``name``, ``planning_area``, geometry."""
    qc = config.quarters
    if is_osm(qc.path):
        boundaries = read_osm_boundaries(qc.path, admin_level=qc.admin_level, report=report)
        raw = boundaries.to_crs(config.analysis_crs)
    else:
        raw = read_vector(
            qc.path, target_crs=config.analysis_crs, what="quarters", layer=qc.layer, crs=qc.crs,
            report=report,
        )  # fmt: skip
    if qc.bbox is not None:
        raw = _within_bbox(raw, qc.bbox, Path(qc.path).name, report)
    columns = [qc.id_column, qc.name_column]
    if qc.planning_area_column:
        columns.append(qc.planning_area_column)
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise InputDataError(
            f"quarters: {Path(qc.path).name} has no column(s) {missing}; its columns "
            f"are {listing(c for c in raw.columns if c != raw.geometry.name)}. Fix "
            "'id_column', 'name_column' or 'planning_area_column' in [quarters]."
        )
    if raw[qc.id_column].isna().any():
        rows = np.flatnonzero(raw[qc.id_column].isna())
        raise InputDataError(
            f"quarters: {Path(qc.path).name} has features without {qc.id_column!r} "
            f"(feature numbers {rows[:10].tolist()}). Give every quarter an id."
        )
    source = Path(qc.path).name
    ids = clean_control_characters(
        raw[qc.id_column], source=source, column=qc.id_column, report=report, layer="quarters"
    )
    names = clean_control_characters(
        raw[qc.name_column].astype(str).str.strip(),
        source=source,
        column=qc.name_column,
        report=report,
        layer="quarters",
    )
    quarters = gpd.GeoDataFrame(
        {
            "quarter_id": _normalise_ids(ids),
            "name": names,
        },
        geometry=raw.geometry.values,
        crs=raw.crs,
    )
    duplicated = quarters["quarter_id"].duplicated(keep=False)
    if duplicated.any():
        raise InputDataError(
            f"quarters: {Path(qc.path).name} repeats quarter ids "
            f"{sorted(set(quarters.loc[duplicated, 'quarter_id']))} in column "
            f"{qc.id_column!r}. Each quarter needs a unique id (dissolve multi-part quarters)."
        )
    located = ~(quarters.geometry.isna() | quarters.geometry.is_empty)
    if not located.all():
        # no geometry: an empty area (reported by read_vector as empty_geometry)
        geoms = quarters.geometry.values.copy()
        geoms[~located.to_numpy()] = shapely.Polygon()
        quarters = quarters.set_geometry(geoms)
    polygonal = quarters.geom_type.isin(["Polygon", "MultiPolygon"]) | ~located
    if not polygonal.all():
        raise InputDataError(
            f"quarters: {Path(qc.path).name} has non-polygon features "
            f"({quarters.loc[~polygonal, 'quarter_id'].tolist()[:10]}). Quarters must be areas: "
            "use the boundary polygons, not centre points or outlines."
        )
    quarters["planning_area"] = _planning_areas(config, quarters, raw, report)
    check_quarter_geometry(quarters, report)
    return quarters.sort_values("quarter_id").reset_index(drop=True)


def _within_bbox(
    raw: gpd.GeoDataFrame,
    bbox: tuple[float, float, float, float],
    source: str,
    report: QualityReport,
) -> gpd.GeoDataFrame:
    """Keep the features whose inner point lies in a WGS84 bounding box (reported)."""
    inner = raw.geometry.representative_point().to_crs("EPSG:4326")
    keep = inner.x.between(bbox[0], bbox[2]) & inner.y.between(bbox[1], bbox[3])
    if not keep.any():
        raise InputDataError(
            f"quarters: no feature of {source} lies in bbox {list(bbox)} (lon_min, lat_min, "
            "lon_max, lat_max in WGS84). Check the order of the numbers."
        )
    report.add(
        "quarters_outside_bbox",
        "quarters",
        f"{source}: {int((~keep).sum())} feature(s) outside the study's bbox are not part of "
        f"the study; {int(keep.sum())} kept.",
        severity="info",
        count=int((~keep).sum()),
    )
    return raw.loc[keep.to_numpy()]


def _planning_areas(
    config: StudyConfig, quarters: gpd.GeoDataFrame, raw: gpd.GeoDataFrame, report: QualityReport
) -> pd.Series:
    qc, pc = config.quarters, config.planning_areas
    if qc.planning_area_column:
        areas = raw[qc.planning_area_column].astype("string").str.strip()
        areas.index = quarters.index
    elif pc is None:
        report.add(
            "no_planning_areas",
            "planning_areas",
            "The study assigns no planning areas; all quarters form one planning area "
            f"{UNASSIGNED!r}. Add a [planning_areas] section to compare areas.",
            severity="info",
        )
        return pd.Series(UNASSIGNED, index=quarters.index)
    else:
        if pc.mapping is not None:
            pairs = [(key, area) for area, keys in pc.mapping.items() for key in keys]
            table = pd.DataFrame(pairs, columns=["quarter_key", "planning_area"])
            source = "[planning_areas] mapping"
        else:
            assert pc.path is not None
            source = Path(pc.path).name
            raw_table = read_table(
                pc.path,
                TableLayout(header_row=pc.header_row),
                text_columns=[pc.quarter_column, pc.area_column],
                numeric_columns=[],
                report=report,
                layer="planning_areas",
                keys={
                    pc.quarter_column: "[planning_areas] quarter_column",
                    pc.area_column: "[planning_areas] area_column",
                },
            )
            raw_table = _drop_empty_keys(
                raw_table, pc.quarter_column, source, report, "planning_areas"
            )
            missing = [c for c in (pc.quarter_column, pc.area_column) if c not in raw_table]
            if missing:
                raise InputDataError(
                    f"planning_areas: {source} has no column(s) {missing}; its columns "
                    f"are {listing(raw_table.columns)}. Fix 'quarter_column'/'area_column'."
                )
            table = pd.DataFrame(
                {
                    "quarter_key": raw_table[pc.quarter_column],
                    "planning_area": raw_table[pc.area_column].astype(str).str.strip(),
                }
            )
        mapping, _ = match_keys(
            table["quarter_key"], quarters, report=report, layer="planning_areas", source=source
        )
        table["quarter_id"] = table["quarter_key"].map(mapping)
        twice = table.dropna(subset=["quarter_id"]).drop_duplicates(["quarter_id", "planning_area"])
        twice = twice[twice["quarter_id"].duplicated(keep=False)]
        if len(twice):
            raise InputDataError(
                f"planning_areas: {source} puts quarter(s) "
                f"{sorted(set(twice['quarter_id']))} into more than one planning area. "
                "Each quarter belongs to exactly one."
            )
        lookup = table.dropna(subset=["quarter_id"]).set_index("quarter_id")["planning_area"]
        areas = quarters["quarter_id"].map(lookup.to_dict()).astype("string")
    unassigned = areas.isna() | (areas == "")
    if unassigned.any():
        report.add(
            "quarter_without_planning_area",
            "planning_areas",
            f"{int(unassigned.sum())} quarter(s) belong to no planning area; they are grouped "
            f"as {UNASSIGNED!r}.",
            items=quarters.loc[unassigned, "name"],
        )
        areas = areas.mask(unassigned, UNASSIGNED)
    names: pd.Series = areas.astype(str)
    return names


def check_quarter_geometry(
    quarters: gpd.GeoDataFrame, report: QualityReport, *, tolerance_m2: float = SLIVER_M2
) -> None:
    """Report overlaps between quarters and gaps inside the union of quarters."""
    geoms = quarters.geometry.values
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    if len(left):
        area = shapely.area(shapely.intersection(geoms[left], geoms[right]))
        big = area > tolerance_m2
        if big.any():
            ids = quarters["quarter_id"].to_numpy()
            report.add(
                "quarter_overlap",
                "quarters",
                f"{int(big.sum())} pair(s) of quarters overlap by more than {tolerance_m2:g} m²; "
                "residents and services in the overlap may be counted twice.",
                items=[
                    f"{ids[a]}/{ids[b]}: {s:,.0f} m²"
                    for a, b, s in zip(left[big], right[big], area[big], strict=True)
                ],
            )
    union = shapely.union_all(geoms)
    holes = [
        shapely.Polygon(ring)
        for part in shapely.get_parts(union)
        for ring in shapely.get_interior_ring(part, range(shapely.get_num_interior_rings(part)))
    ]
    gaps = [h for h in holes if h.area > tolerance_m2]
    if gaps:
        report.add(
            "quarter_gap",
            "quarters",
            f"{len(gaps)} gap(s) larger than {tolerance_m2:g} m² lie between the quarters; "
            "residents there belong to no quarter.",
            items=[
                f"{g.area:,.0f} m² at {g.representative_point().x:.0f},"
                f"{g.representative_point().y:.0f}"
                for g in gaps
            ],
        )


def read_grid_cells(
    config: StudyConfig, quarters: gpd.GeoDataFrame, report: QualityReport
) -> gpd.GeoDataFrame | None:
    """Zensus 2022 grid cells of the study area when the population grid is Zensus CSVs.

    Every topic file is read only within the quarters' bounding box and merged on the cell
    id; the age groups the published bands tile exactly are added.
    """
    grid = config.population_grid
    if grid is None or not is_zensus_grid(grid.path):
        return None
    bbox = quarters.to_crs(ZENSUS_CRS).total_bounds
    cells: gpd.GeoDataFrame | None = None
    for path in [Path(grid.path), *map(Path, grid.additional_paths)]:
        part = read_zensus_grid(path, bbox=bbox, report=report)
        if cells is None:
            cells = part
            continue
        new = [c for c in part.columns if c not in cells.columns or c == "cell_id"]
        merged = cells.merge(pd.DataFrame(part[new]), on="cell_id", how="outer")
        # cells missing from one topic still need their geometry
        geometry = merged.geometry.fillna(merged["cell_id"].map(part.set_index("cell_id").geometry))
        cells = gpd.GeoDataFrame(merged, geometry=geometry, crs=ZENSUS_CRS)
    assert cells is not None
    ranges = config.age_groups.ranges()
    return zensus_age_groups(
        cells,
        working_age_from=ranges["working_age"][0],
        older_from=ranges["older"][0],
        report=report,
    )


def _zensus_demographics(
    config: StudyConfig,
    quarters: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame | None,
    report: QualityReport,
) -> pd.DataFrame:
    """Demographics as sums of the Zensus grid per quarter (year 2022 unless stated)."""
    if cells is None:
        raise InputDataError(
            "demographics: layout 'zensus' sums the Zensus grid per quarter, but "
            "[population_grid] names no Zensus 2022 grid CSV. Point its 'path' at the "
            "100 m table (e.g. Zensus2022_Bevoelkerungszahl_100m-Gitter.csv)."
        )
    sums = zensus_to_quarters(cells, quarters[["quarter_id", "geometry"]], report=report)
    sums = sums.reset_index()
    sums.insert(1, "year", config.demographics.year or 2022)
    report.add(
        "demographics_from_zensus",
        "demographics",
        "Residents per quarter are sums of Zensus 2022 grid cells (cells assigned by their "
        "centre; counts perturbed by the cell-key method): use them as estimates, not as "
        "official quarter totals.",
    )
    return sums


def read_demographics(
    config: StudyConfig,
    quarters: gpd.GeoDataFrame,
    report: QualityReport,
    cells: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Read the demographics table into the canonical per-quarter, per-year table."""
    dc = config.demographics
    if dc.layout == "zensus":
        return _zensus_demographics(config, quarters, cells, report)
    if dc.layout == "portal":
        assert dc.files is not None
        source = ", ".join(Path(f).name for f in dc.files)
        wide = read_portal_bands(
            dc.files, value_column=dc.value_column or "Personen", report=report
        )
        # the portal reader names its key and year columns itself
        dc = dc.model_copy(update={"key_column": "quarter_key", "year_column": "year"})
    else:
        assert dc.path is not None
        source = Path(dc.path).name
        if dc.layout == "long":
            count_columns = [dc.value_column]
            text = [dc.key_column, dc.band_column]
        else:
            count_columns = [dc.total_column, *dc.bands]
            text = [dc.key_column]
        raw = read_table(
            dc.path,
            TableLayout(sheet=dc.layer or dc.sheet, header_row=dc.header_row),
            text_columns=[c for c in text if c],
            numeric_columns=[c for c in (*count_columns, dc.year_column) if c],
            count_columns=[c for c in count_columns if c],
            report=report,
            keys=_demographics_keys(dc),
        )
        raw = _drop_empty_keys(raw, dc.key_column, source, report, "demographics", count_columns)
        _check_years(raw, dc.year_column, source)
        wide = to_wide(raw, dc, source=source)
    assert dc.key_column is not None  # required by the study model (the portal sets its own)
    wide = add_quarter_ids(
        wide, quarters, key_column=dc.key_column, report=report, layer="demographics",
        source=source,
    )  # fmt: skip
    unmatched = wide["quarter_id"].isna()
    if unmatched.all():
        raise InputDataError(
            f"demographics: no key of column {dc.key_column!r} in {source} matches a quarter "
            f"id or name (e.g. {wide[_key_in(wide, dc.key_column)].iloc[0]!r}). Check "
            "'key_column'."
        )
    wide = wide.loc[~unmatched]
    counts = canonical_counts(
        wide, dc, config.age_groups.model_dump(), source=source, report=report
    )
    duplicated = counts.duplicated(["quarter_id", "year"], keep=False)
    if duplicated.any():
        rows = counts.loc[duplicated, ["quarter_id", "year"]].drop_duplicates()
        raise InputDataError(
            f"demographics: {source} has several rows for the same quarter and year "
            f"({', '.join(f'{q}/{y}' for q, y in rows.itertuples(index=False))}). "
            "Keep one row per quarter and year (or check the key matching in the report)."
        )
    for year, sub in counts.groupby("year"):
        absent = sorted(set(quarters["quarter_id"]) - set(sub["quarter_id"]))
        if absent:
            report.add(
                "quarter_without_demographics",
                "demographics",
                f"{source}, {year}: {len(absent)} quarter(s) have no row; their indicators "
                "are missing and they are left out of sums.",
                items=absent,
            )
    return counts.sort_values(["year", "quarter_id"]).reset_index(drop=True)


def _demographics_keys(dc: DemographicsConfig) -> dict[str, str]:
    """Column -> the [demographics] key naming it (for messages about missing columns)."""
    named = {
        dc.key_column: "key_column",
        dc.year_column: "year_column",
        dc.total_column: "total_column",
        dc.band_column: "band_column",
        dc.value_column: "value_column",
    }
    keys = {c: f"[demographics] {k}" for c, k in named.items() if c}
    keys.update({c: "[demographics.bands]" for c in dc.bands if c not in keys})
    return keys


def _key_in(wide: pd.DataFrame, key_column: str | None) -> str:
    """The column holding the table's keys (add_quarter_ids renames a key quarter_id)."""
    return "quarter_key" if key_column == "quarter_id" else str(key_column)


def _check_years(table: pd.DataFrame, column: str | None, source: str) -> None:
    """Refuse a year column with cells that are not whole years (never guessed or cut)."""
    if column is None or column not in table.columns:
        return
    years = pd.to_numeric(table[column], errors="coerce")
    bad = (years.isna() | (years != years.round()) | ~years.between(1800, 2200)).to_numpy()
    if not bad.any():
        return
    lines = np.flatnonzero(bad) + int(table.attrs.get("first_line", 2))
    shown = ", ".join(f"line {ln}" for ln in lines[:10]) + (" …" if len(lines) > 10 else "")
    raise InputDataError(
        f"demographics: {source}: column {column!r} (year_column) must hold whole years, "
        f"but {int(bad.sum())} row(s) do not ({shown}; empty, text, fractions or beyond "
        "1800–2200). Write the year, e.g. 2023, in every row; for a single-year table remove "
        "year_column and set year = 2023 in [demographics]."
    )


def _drop_empty_keys(
    table: pd.DataFrame,
    key_column: str | None,
    source: str,
    report: QualityReport,
    layer: str,
    counts: list[str | None] | None = None,
) -> pd.DataFrame:
    """Leave out rows without a key, listing each with its line and residents (never silent)."""
    if key_column is None or key_column not in table.columns:
        return table
    keys = table[key_column]
    empty = (keys.isna() | (keys.astype("string").str.strip() == "")).fillna(True).to_numpy(bool)
    if not empty.any():
        return table
    first_line = int(table.attrs.get("first_line", 2))
    lines = np.flatnonzero(empty) + first_line
    items = [f"line {ln}" for ln in lines]
    total = next((c for c in counts or () if c and c in table.columns), None)
    lost = ""
    if total is not None:
        values = pd.to_numeric(table.loc[empty, total], errors="coerce")
        items = [
            f"line {ln} ({total}={v:,.0f})" if v == v else f"line {ln}"
            for ln, v in zip(lines, values, strict=True)
        ]
        lost = f" ({values.sum():,.0f} in column {total!r})"
    report.add(
        "empty_keys",
        layer,
        f"{source}: {int(empty.sum())} row(s) have an empty key column {key_column!r}; "
        f"they belong to no quarter and are not used{lost}. Fill in the quarter id or name.",
        severity="warning",
        items=items,
    )
    return table.loc[~empty]


#: Common German names of the default categories, accepted like their labels.
CATEGORY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "food": ("Supermarkt", "Lebensmittelmarkt", "Lebensmittelgeschäft", "Nahversorger"),
    "pharmacy": ("Apotheken",),
    "gp": ("Hausärztin", "Hausarztpraxis", "Allgemeinmedizin", "Allgemeinarzt"),
    "transit_stop": ("Haltestelle", "Bushaltestelle", "Straßenbahnhaltestelle", "ÖPNV"),
    "meeting_place": (
        "Begegnungsstätte",
        "Seniorenbegegnungsstätte",
        "Seniorentreff",
        "Bürgerzentrum",
        "Mehrgenerationenhaus",
        "Familienzentrum",
    ),
    "care_home": ("Altenheim", "Altenpflegeheim", "Seniorenheim", "Pflegeeinrichtung"),
    "bench": ("Bank", "Ruhebank", "Parkbank"),
}


def _match_categories(
    values: pd.Series, sc: ServicesConfig, source: str, report: QualityReport
) -> pd.Series:
    """The category key of every service, or NaN for values no category claims.

    A category's ``values`` are matched exactly. A category without ``values`` takes its
    key, and also — case, umlauts and spaces aside — its German and English label and the
    common names in :data:`CATEGORY_SYNONYMS` ("Apotheke", "Supermarkt", "Haltestelle");
    those loose matches are reported.
    """
    exact = {value: key for key, cat in sc.categories.items() for value in (cat.values or [key])}
    loose: dict[str, str] = {}
    for key, cat in sc.categories.items():
        if cat.values:
            continue
        for name in (key, cat.label_de, cat.label_en, *CATEGORY_SYNONYMS.get(key, ())):
            loose.setdefault(normalize_name(name), key)
    category = values.map(exact)
    open_rows = category.isna()
    by_name = values[open_rows].map(lambda v: loose.get(normalize_name(v)))
    matched = by_name.notna()
    if matched.any():
        pairs = pd.DataFrame({"value": values[open_rows][matched], "key": by_name[matched]})
        counts = pairs.value_counts()
        report.add(
            "service_category_by_label",
            "services",
            f"{source}: {int(matched.sum())} service(s) were matched to a category by its "
            "label or a common name; give the category 'values' to match exactly instead.",
            severity="info",
            # (value, key) pairs: the MultiIndex of value_counts
            items=[f"{v} → {k} ({n})" for (v, k), n in zip(counts.index, counts, strict=True)],
            count=int(matched.sum()),
        )
        category[by_name[matched].index] = by_name[matched]
    return category


def read_services(config: StudyConfig, report: QualityReport) -> gpd.GeoDataFrame | None:
    """Read the services: ``service_id``, ``category``, ``name``, ``capacity``, points."""
    sc = config.services
    if sc is None:
        return None
    source = Path(sc.path).name
    if is_osm(sc.path) or is_json_list(sc.path):
        if is_osm(sc.path):
            raw = read_osm_services(sc.path, overrides=sc.osm_presets, report=report)
        else:
            raw = read_service_list_json(
                sc.path,
                categories=sc.json_categories,
                category_field=sc.json_category_field,
                report=report,
            )
        raw = raw.to_crs(config.analysis_crs)
        # these readers deliver the services contract's column names
        sc = sc.model_copy(
            update={
                "id_column": "service_id",
                "category_column": "category",
                "name_column": "name",
                "capacity_column": "capacity",
            }
        )
    else:
        raw = read_vector(
            sc.path, target_crs=config.analysis_crs, what="services", layer=sc.layer,
            crs=sc.crs, x_column=sc.x_column, y_column=sc.y_column, report=report,
        )  # fmt: skip
    named = [sc.category_column, sc.id_column, sc.name_column, sc.capacity_column]
    missing = [c for c in named if c is not None and c not in raw.columns]
    if missing:
        raise InputDataError(
            f"services: {source} has no column(s) {missing}; its columns are "
            f"{listing(c for c in raw.columns if c != raw.geometry.name)}. Fix the [services] "
            "keys."
        )
    if sc.id_column:
        ids = raw[sc.id_column].astype(str)
        duplicated = ids.duplicated(keep=False)
        if duplicated.any():
            raise InputDataError(
                f"services: {source} repeats ids in column {sc.id_column!r}: "
                f"{sorted(set(ids[duplicated]))[:10]}. Service ids must be unique."
            )
    else:
        ids = pd.Series([f"s{i + 1}" for i in range(len(raw))], index=raw.index)
    category = _match_categories(raw[sc.category_column].astype(str), sc, source, report)
    unknown = category.isna()
    if unknown.any():
        counts = raw.loc[unknown, sc.category_column].astype(str).value_counts()
        report.add(
            "service_category_unknown",
            "services",
            f"{source}: {int(unknown.sum())} service(s) have a category that the study does "
            "not define; they are not used. Add the value to a category's 'values' to use it.",
            items=[f"{v} ({n})" for v, n in counts.items()],
            count=int(unknown.sum()),
        )
    geoms = raw.geometry.values
    not_point = ~shapely.is_empty(geoms) & (shapely.get_type_id(geoms) != 0)
    if not_point.any():
        report.add(
            "service_as_point",
            "services",
            f"{source}: {int(not_point.sum())} service(s) are lines or areas; their "
            "representative point is used.",
            severity="info",
            count=int(not_point.sum()),
        )
        geoms = np.where(not_point, shapely.point_on_surface(geoms), geoms)
    capacity = (
        pd.to_numeric(raw[sc.capacity_column], errors="coerce")
        if sc.capacity_column
        else pd.Series(np.nan, index=raw.index)
    )
    services = gpd.GeoDataFrame(
        {
            "service_id": ids.to_numpy(),
            "category": category.to_numpy(),
            "name": clean_control_characters(
                raw[sc.name_column].astype(str),
                source=source,
                column=sc.name_column,
                report=report,
                layer="services",
            ).to_numpy()
            if sc.name_column
            else "",
            "capacity": capacity.to_numpy(),
        },
        geometry=geoms,
        crs=raw.crs,
    )
    services = services.loc[~unknown.to_numpy()].reset_index(drop=True)
    for key, cat in sc.categories.items():
        if cat.capacity:
            sub = services[services["category"] == key]
            no_cap = sub["capacity"].isna()
            if no_cap.any():
                report.add(
                    "service_capacity_missing",
                    "services",
                    f"{source}: {int(no_cap.sum())} {cat.label_en} service(s) lack a capacity "
                    f"in column {sc.capacity_column!r}; they count with capacity 0 in E2SFCA.",
                    items=sub.loc[no_cap, "service_id"],
                )
    return services


def load_study(study: str | Path | StudyConfig) -> Study:
    """Load a study from its file (or an already validated config).

    Parameters
    ----------
    study
        Path of a TOML study file, or a :class:`~sqe_geo.config.StudyConfig`.

    Returns
    -------
    Study
        Quarters, demographics and services in the analysis CRS, and the data-quality
        report of everything that was matched loosely, repaired or left out.

    Raises
    ------
    SqeGeoError
        For every input a user has to fix (the message names file, column or key).
    """
    config = study if isinstance(study, StudyConfig) else load_config(study)
    report = QualityReport()
    quarters = read_quarters(config, report)
    cells = read_grid_cells(config, quarters, report)
    demographics = read_demographics(config, quarters, report, cells)
    services = read_services(config, report)
    if services is not None:
        inside = services.sjoin(quarters[["geometry"]], predicate="within", how="left")
        outside = inside[~inside.index.duplicated()]["index_right"].isna()
        if outside.any():
            report.add(
                "service_outside_study_area",
                "services",
                f"{int(outside.sum())} service(s) lie outside every quarter; they still serve "
                "residents nearby but count for no quarter's supply.",
                severity="info",
                items=services.loc[outside.to_numpy(), "service_id"],
            )
        check_service_extent(services, quarters, report)
    return Study(
        config=config, quarters=quarters, demographics=demographics, services=services,
        report=report, grid_cells=cells,
    )  # fmt: skip


def check_service_extent(
    services: gpd.GeoDataFrame,
    quarters: gpd.GeoDataFrame,
    report: QualityReport,
    *,
    min_share: float = 0.5,
) -> None:
    """Report quarters that lie mostly outside the area the service layer covers.

    A service file that was cut to part of the city (an extract, a POI list of the centre)
    makes accessibility there look worse than it is. The covered area is the convex hull of
    all services; a quarter with less than ``min_share`` of its area inside is reported.
    """
    points = services.geometry.values
    points = points[~shapely.is_empty(points)]
    if len(points) < 3:
        return
    hull = shapely.convex_hull(shapely.multipoints(points))
    areas = shapely.area(quarters.geometry.values)
    inside = shapely.area(shapely.intersection(quarters.geometry.values, hull))
    share = np.divide(inside, areas, out=np.zeros_like(areas), where=areas > 0)
    outside = share < min_share
    if outside.any():
        report.add(
            "quarter_outside_service_extent",
            "services",
            f"{int(outside.sum())} quarter(s) lie mostly outside the area the service layer "
            "covers (convex hull of all services); their accessibility may be understated "
            "because services there are missing from the file, not from the quarter.",
            items=[
                f"{n} ({s:.0%} covered)"
                for n, s in zip(quarters.loc[outside, "name"], share[outside], strict=True)
            ],
        )
