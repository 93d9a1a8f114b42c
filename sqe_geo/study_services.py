"""Loading a study's services: locations, categories and capacities.

:func:`read_services` reads the service layer named in ``[services]`` (a vector file, an
OpenStreetMap file or a JSON place list) and assigns each service its category;
:func:`check_service_extent` reports quarters outside the area the layer covers.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sqe_geo._errors import InputDataError, listing
from sqe_geo.config_layers import ServicesConfig
from sqe_geo.i18n.messages import Message, text
from sqe_geo.io.keys import normalize_name
from sqe_geo.io.layers import is_json_list, is_osm, read_vector
from sqe_geo.io.osm import read_osm_services
from sqe_geo.io.osm_json import read_service_list_json
from sqe_geo.io.tables import clean_control_characters
from sqe_geo.quality import QualityReport

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
            Message("study.services.by_label", source=source, n=int(matched.sum())),
            severity="info",
            # (value, key) pairs: the MultiIndex of value_counts
            items=[f"{v} → {k} ({n})" for (v, k), n in zip(counts.index, counts, strict=True)],
            count=int(matched.sum()),
        )
        category[by_name[matched].index] = by_name[matched]
    return category


def read_services(
    sc: ServicesConfig | None, analysis_crs: str, report: QualityReport
) -> gpd.GeoDataFrame | None:
    """Read the services: ``service_id``, ``category``, ``name``, ``capacity``, points.

    Parameters
    ----------
    sc
        The study's ``[services]`` section (None: the study has no services).
    analysis_crs
        The metric CRS the services are projected to.
    report
        Receives the findings (categories matched loosely or unknown, capacities …).

    Returns
    -------
    geopandas.GeoDataFrame or None
        One point per service of a known category; None without a ``[services]`` section.
    """
    if sc is None:
        return None
    source = sc.source_name()
    raw, sc = _read_layer(sc, analysis_crs, report)
    ids = _service_ids(raw, sc, source)
    category = _match_categories(raw[sc.category_column].astype(str), sc, source, report)
    unknown = category.isna()
    if unknown.any():
        counts = raw.loc[unknown, sc.category_column].astype(str).value_counts()
        report.add(
            "service_category_unknown",
            "services",
            Message("study.services.category_unknown", source=source, n=int(unknown.sum())),
            items=[f"{v} ({n})" for v, n in counts.items()],
            count=int(unknown.sum()),
        )
    geoms = _as_points(raw.geometry.values, source, report)
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
            "synthetic": _synthetic(raw, sc.synthetic_column, source),
        },
        geometry=geoms,
        crs=raw.crs,
    )
    services = services.loc[~unknown.to_numpy()].reset_index(drop=True)
    _report_missing_capacity(services, sc, source, report)
    return services


def _read_layer(
    sc: ServicesConfig, analysis_crs: str, report: QualityReport
) -> tuple[gpd.GeoDataFrame, ServicesConfig]:
    """The service file in the analysis CRS, and the section naming its columns.

    OpenStreetMap files and JSON place lists deliver the services contract's column names
    (``service_id``, ``category``, ``name``, ``capacity``); the section is changed to them.
    """
    if not (is_osm(sc.path) or is_json_list(sc.path)):
        raw = read_vector(
            sc.source(), target_crs=analysis_crs, what="services", layer=sc.layer,
            crs=sc.crs, x_column=sc.x_column, y_column=sc.y_column, report=report,
        )  # fmt: skip
        return raw, sc
    if is_osm(sc.path):
        raw = read_osm_services(sc.path, overrides=sc.osm_presets, report=report)
    else:
        raw = read_service_list_json(
            sc.path,
            categories=sc.json_categories,
            category_field=sc.json_category_field,
            report=report,
        )
    contract = {
        "id_column": "service_id",
        "category_column": "category",
        "name_column": "name",
        "capacity_column": "capacity",
    }
    return raw.to_crs(analysis_crs), sc.model_copy(update=contract)


def _service_ids(raw: gpd.GeoDataFrame, sc: ServicesConfig, source: str) -> pd.Series:
    """The services' ids (``s1``, ``s2`` … without an id column); named columns must exist."""
    named = [
        sc.category_column, sc.id_column, sc.name_column, sc.capacity_column, sc.synthetic_column
    ]  # fmt: skip
    missing = [c for c in named if c is not None and c not in raw.columns]
    if missing:
        raise InputDataError(
            Message(
                "study.services.columns_missing",
                source=source,
                missing=missing,
                columns=listing(c for c in raw.columns if c != raw.geometry.name),
            )
        )
    if not sc.id_column:
        return pd.Series([f"s{i + 1}" for i in range(len(raw))], index=raw.index)
    ids: pd.Series = raw[sc.id_column].astype(str)
    duplicated = ids.duplicated(keep=False)
    if duplicated.any():
        raise InputDataError(
            Message(
                "study.services.ids_repeated",
                source=source,
                column=repr(sc.id_column),
                ids=sorted(set(ids[duplicated]))[:10],
            )
        )
    return ids


#: Values of a ``synthetic_column`` read as true / false (case-insensitive).
_TRUE = frozenset({"true", "1", "ja", "yes", "wahr", "x"})
_FALSE = frozenset({"false", "0", "nein", "no", "falsch", ""})


def _synthetic(raw: gpd.GeoDataFrame, column: str | None, source: str) -> np.ndarray:
    """Which services are invented (the study's ``synthetic_column``; none without one)."""
    if column is None:
        return np.zeros(len(raw), dtype=bool)
    values = raw[column]
    if values.dtype == bool:
        return np.asarray(values, dtype=bool)
    text = values.fillna("").astype(str).str.strip().str.lower()
    text = text.str.removesuffix(".0")  # 1.0 / 0.0 of a numeric column
    unknown = ~text.isin(_TRUE | _FALSE)
    if unknown.any():
        raise InputDataError(
            Message(
                "study.services.synthetic_values",
                source=source,
                column=repr(column),
                values=listing(sorted(set(values[unknown].astype(str)))),
            )
        )
    return np.asarray(text.isin(_TRUE), dtype=bool)


def _as_points(geoms: np.ndarray, source: str, report: QualityReport) -> np.ndarray:
    """Lines and areas as their representative point (reported)."""
    not_point = ~shapely.is_empty(geoms) & (shapely.get_type_id(geoms) != 0)
    if not not_point.any():
        return geoms
    report.add(
        "service_as_point",
        "services",
        Message("study.services.as_point", source=source, n=int(not_point.sum())),
        severity="info",
        count=int(not_point.sum()),
    )
    points: np.ndarray = np.where(not_point, shapely.point_on_surface(geoms), geoms)
    return points


def _report_missing_capacity(
    services: gpd.GeoDataFrame, sc: ServicesConfig, source: str, report: QualityReport
) -> None:
    """Services of a capacity-bound category without a capacity count with 0 (reported)."""
    for key, cat in sc.categories.items():
        if not cat.capacity:
            continue
        sub = services[services["category"] == key]
        no_cap = sub["capacity"].isna()
        if no_cap.any():
            report.add(
                "service_capacity_missing",
                "services",
                Message(
                    "study.services.capacity_missing",
                    source=source,
                    n=int(no_cap.sum()),
                    label=cat.label_en,
                    column=repr(sc.capacity_column),
                ),
                items=sub.loc[no_cap, "service_id"],
            )


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
            Message("study.services.outside_extent", n=int(outside.sum())),
            items=[
                text("study.services.covered_item", name=n, share=f"{s:.0%}")
                for n, s in zip(quarters.loc[outside, "name"], share[outside], strict=True)
            ],
        )
