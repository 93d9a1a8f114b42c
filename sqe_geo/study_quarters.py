"""Loading a study's quarters: boundaries, planning areas and their geometry checks.

:func:`read_quarters` reads the quarter layer (a polygon file or an OpenStreetMap file)
named in the study file, with each quarter's planning area; :func:`check_quarter_geometry`
reports overlaps and gaps between quarters.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sqe_geo._errors import InputDataError, listing
from sqe_geo.config_layers import PlanningAreasConfig, QuartersConfig
from sqe_geo.i18n.messages import Message, text
from sqe_geo.io.keys import match_keys
from sqe_geo.io.layers import is_osm, read_vector
from sqe_geo.io.osm_boundaries import read_osm_boundaries
from sqe_geo.io.tables import TableLayout, clean_control_characters, read_table
from sqe_geo.quality import QualityReport
from sqe_geo.study_demographics import drop_empty_keys

#: Planning area of quarters that no planning-area entry names.
UNASSIGNED = "ohne Zuordnung"


#: Overlaps and gaps between quarters smaller than this (m²) are slivers, not findings.
SLIVER_M2 = 100.0


def _normalise_ids(values: pd.Series) -> pd.Series:
    """Quarter ids as strings; integer ids zero-padded so they sort ("01" … "27")."""
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all() and (numeric == numeric.round()).all():
        ints = numeric.astype(int)
        width = max(2, len(str(ints.max())))
        return ints.astype(str).str.zfill(width)
    return values.astype(str).str.strip()


def read_quarters(
    qc: QuartersConfig,
    planning_areas: PlanningAreasConfig | None,
    analysis_crs: str,
    report: QualityReport,
) -> gpd.GeoDataFrame:
    """Read the quarter boundaries: ``quarter_id``, ``name``, ``planning_area``, geometry.

    Parameters
    ----------
    qc
        The study's ``[quarters]`` section.
    planning_areas
        The ``[planning_areas]`` section, if any.
    analysis_crs
        The metric CRS the quarters are projected to.
    report
        Receives the findings (features left out, overlaps, gaps …).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per quarter, sorted by ``quarter_id``.
    """
    raw = _read_layer(qc, analysis_crs, report)
    source = qc.source_name()
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
            Message(
                "study.quarters.ids_repeated",
                source=source,
                ids=sorted(set(quarters.loc[duplicated, "quarter_id"])),
                column=repr(qc.id_column),
            )
        )
    quarters = _areas_only(quarters, source)
    quarters["planning_area"] = _planning_areas(qc, planning_areas, quarters, raw, report)
    check_quarter_geometry(quarters, report)
    return quarters.sort_values("quarter_id").reset_index(drop=True)


def _read_layer(qc: QuartersConfig, analysis_crs: str, report: QualityReport) -> gpd.GeoDataFrame:
    """The quarter layer in the analysis CRS, with its named columns and an id everywhere."""
    if is_osm(qc.path):
        boundaries = read_osm_boundaries(qc.path, admin_level=qc.admin_level, report=report)
        raw = boundaries.to_crs(analysis_crs)
    else:
        raw = read_vector(
            qc.source(), target_crs=analysis_crs, what="quarters", layer=qc.layer, crs=qc.crs,
            report=report,
        )  # fmt: skip
    if qc.bbox is not None:
        raw = _within_bbox(raw, qc.bbox, qc.source_name(), report)
    columns = [qc.id_column, qc.name_column]
    if qc.planning_area_column:
        columns.append(qc.planning_area_column)
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise InputDataError(
            Message(
                "study.quarters.columns_missing",
                source=qc.source_name(),
                missing=missing,
                columns=listing(c for c in raw.columns if c != raw.geometry.name),
            )
        )
    if raw[qc.id_column].isna().any():
        rows = np.flatnonzero(raw[qc.id_column].isna())
        raise InputDataError(
            Message(
                "study.quarters.ids_missing",
                source=qc.source_name(),
                column=repr(qc.id_column),
                rows=rows[:10].tolist(),
            )
        )
    return raw


def _areas_only(quarters: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Quarters must be areas; one without geometry becomes an empty polygon."""
    located = ~(quarters.geometry.isna() | quarters.geometry.is_empty)
    if not located.all():
        # no geometry: an empty area (reported by read_vector as empty_geometry)
        geoms = quarters.geometry.values.copy()
        geoms[~located.to_numpy()] = shapely.Polygon()
        quarters = quarters.set_geometry(geoms)
    polygonal = quarters.geom_type.isin(["Polygon", "MultiPolygon"]) | ~located
    if not polygonal.all():
        raise InputDataError(
            Message(
                "study.quarters.not_polygons",
                source=source,
                ids=quarters.loc[~polygonal, "quarter_id"].tolist()[:10],
            )
        )
    return quarters


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
        raise InputDataError(Message("study.quarters.bbox_empty", source=source, bbox=list(bbox)))
    report.add(
        "quarters_outside_bbox",
        "quarters",
        Message(
            "study.quarters.outside_bbox",
            source=source,
            n=int((~keep).sum()),
            kept=int(keep.sum()),
        ),
        severity="info",
        count=int((~keep).sum()),
    )
    return raw.loc[keep.to_numpy()]


def _planning_areas(
    qc: QuartersConfig,
    pc: PlanningAreasConfig | None,
    quarters: gpd.GeoDataFrame,
    raw: gpd.GeoDataFrame,
    report: QualityReport,
) -> pd.Series:
    """The planning area of every quarter; quarters without one are grouped (reported)."""
    if qc.planning_area_column:
        areas = raw[qc.planning_area_column].astype("string").str.strip()
        areas.index = quarters.index
    elif pc is None:
        report.add(
            "no_planning_areas",
            "planning_areas",
            Message("study.quarters.no_planning_areas", unassigned=repr(UNASSIGNED)),
            severity="info",
        )
        return pd.Series(UNASSIGNED, index=quarters.index)
    else:
        table, source = _area_table(pc, report)
        mapping, _ = match_keys(
            table["quarter_key"], quarters, report=report, layer="planning_areas", source=source
        )
        table["quarter_id"] = table["quarter_key"].map(mapping)
        twice = table.dropna(subset=["quarter_id"]).drop_duplicates(["quarter_id", "planning_area"])
        twice = twice[twice["quarter_id"].duplicated(keep=False)]
        if len(twice):
            raise InputDataError(
                Message(
                    "study.quarters.two_areas",
                    source=source,
                    ids=sorted(set(twice["quarter_id"])),
                )
            )
        lookup = table.dropna(subset=["quarter_id"]).set_index("quarter_id")["planning_area"]
        areas = quarters["quarter_id"].map(lookup.to_dict()).astype("string")
    unassigned = areas.isna() | (areas == "")
    if unassigned.any():
        report.add(
            "quarter_without_planning_area",
            "planning_areas",
            Message(
                "study.quarters.without_area",
                n=int(unassigned.sum()),
                unassigned=repr(UNASSIGNED),
            ),
            items=quarters.loc[unassigned, "name"],
        )
        areas = areas.mask(unassigned, UNASSIGNED)
    names: pd.Series = areas.astype(str)
    return names


def _area_table(pc: PlanningAreasConfig, report: QualityReport) -> tuple[pd.DataFrame, str]:
    """Pairs ``quarter_key`` → ``planning_area`` of the mapping or table, and their source."""
    if pc.mapping is not None:
        pairs = [(key, area) for area, keys in pc.mapping.items() for key in keys]
        table = pd.DataFrame(pairs, columns=["quarter_key", "planning_area"])
        return table, text("study.quarters.mapping_source")
    assert pc.path is not None
    source = pc.source_name()
    raw_table = read_table(
        pc.source(),
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
    raw_table = drop_empty_keys(raw_table, pc.quarter_column, source, report, "planning_areas")
    missing = [c for c in (pc.quarter_column, pc.area_column) if c not in raw_table]
    if missing:
        raise InputDataError(
            Message(
                "study.quarters.area_columns_missing",
                source=source,
                missing=missing,
                columns=listing(raw_table.columns),
            )
        )
    table = pd.DataFrame(
        {
            "quarter_key": raw_table[pc.quarter_column],
            "planning_area": raw_table[pc.area_column].astype(str).str.strip(),
        }
    )
    return table, source


def check_quarter_geometry(
    quarters: gpd.GeoDataFrame, report: QualityReport, *, tolerance_m2: float = SLIVER_M2
) -> None:
    """Report overlaps between quarters and gaps inside the union of quarters.

    Parameters
    ----------
    quarters
        The quarters (metric CRS).
    report
        Receives the findings ``quarter_overlap`` and ``quarter_gap``.
    tolerance_m2
        Overlaps and gaps up to this area (m²) are slivers and not reported.
    """
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
                Message("study.quarters.overlap", n=int(big.sum()), tolerance=f"{tolerance_m2:g}"),
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
            Message("study.quarters.gap", n=len(gaps), tolerance=f"{tolerance_m2:g}"),
            items=[
                text(
                    "study.quarters.gap_item",
                    area=f"{g.area:,.0f}",
                    x=f"{g.representative_point().x:.0f}",
                    y=f"{g.representative_point().y:.0f}",
                )
                for g in gaps
            ],
        )
