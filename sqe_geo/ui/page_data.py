"""Page "Daten & Methodik": definitions, sources, data quality and the upload of a study."""

from __future__ import annotations

import os
from collections.abc import Sequence

import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from sqe_geo._errors import SqeGeoError
from sqe_geo.io.upload import MAX_UPLOAD_BYTES, UploadMapping, UploadWorkspace, guess_age_range
from sqe_geo.pipeline import Results
from sqe_geo.ui import state
from sqe_geo.ui.texts import finding_label, t

_NONE = ""
DEFINITION_COLUMNS = {
    "id": ("ID", "ID"),
    "label": ("Bezeichnung", "Label"),
    "unit": ("Einheit", "Unit"),
    "kind": ("Art", "Kind"),
    "formula": ("Formel", "Formula"),
    "direction": ("Richtung", "Direction"),
    "description": ("Beschreibung", "Description"),
    "source": ("Quelle", "Source"),
}
SOURCE_COLUMNS = {
    "name": ("Daten", "Data"),
    "licence": ("Lizenz", "Licence"),
    "url": ("Adresse", "Address"),
    "date": ("Stand", "Date"),
    "note": ("Hinweis", "Note"),
}
REPORT_COLUMNS = {
    "severity": ("Gewicht", "Severity"),
    "layer": ("Ebene", "Layer"),
    "check": ("Prüfung", "Check"),
    "count": ("Anzahl", "Count"),
    "message": ("Meldung", "Message"),
    "items": ("Einträge", "Items"),
}


def _columns(lang: str, names: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {k: v[0] if lang == "de" else v[1] for k, v in names.items()}


def render(results: Results) -> None:
    """Draw the page."""
    lang = state.language()
    st.header(t("page_data", lang))
    config = results.study.config
    if config.description:
        st.write(config.description)

    st.subheader(t("definitions", lang))
    definitions = results.catalog.definitions(lang)
    definitions["direction"] = definitions["direction"].map(lambda d: t(f"dir_{d}", lang))
    st.dataframe(
        definitions.rename(columns=_columns(lang, DEFINITION_COLUMNS)),
        hide_index=True,
        width="stretch",
    )

    st.subheader(t("sources", lang))
    if config.sources:
        st.dataframe(
            pd.DataFrame([s.model_dump() for s in config.sources]).rename(
                columns=_columns(lang, SOURCE_COLUMNS)
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.write(t("none", lang))

    st.subheader(t("parameters", lang))
    st.dataframe(
        pd.DataFrame(
            list(results.parameters.items()), columns=[t("parameter", lang), t("value", lang)]
        ),
        hide_index=True,
        width="stretch",
    )

    st.subheader(t("quality", lang))
    report = results.report.to_frame()
    if len(report):
        for column in ("severity", "layer"):
            report[column] = report[column].map(lambda v: finding_label(str(v), lang))
        # the check is an id for programs; people read the message
        report = report.drop(columns=["check"])
        st.dataframe(
            report.rename(columns=_columns(lang, REPORT_COLUMNS)),
            hide_index=True,
            width="stretch",
        )
    else:
        st.write(t("quality_none", lang))

    st.divider()
    upload_section(lang)


def upload_limit() -> int:
    """Bytes per uploaded file: ``$SQE_UPLOAD_MAX_MB`` or the library default."""
    try:
        return int(float(os.environ["SQE_UPLOAD_MAX_MB"]) * 1024**2)
    except (KeyError, ValueError):
        return MAX_UPLOAD_BYTES


def _workspace() -> UploadWorkspace:
    ws = st.session_state.get("upload_ws")
    if ws is None or ws.max_bytes != upload_limit():
        ws = UploadWorkspace(upload_limit())
        st.session_state["upload_ws"] = ws
    return ws


def _stage(ws: UploadWorkspace, role: str, uploaded: UploadedFile | None) -> bool:
    """Stage an uploaded file once (per file id); False and an error when it is refused."""
    marker = f"_staged_{role}"
    if uploaded is None:
        ws.files.pop(role, None)
        st.session_state.pop(marker, None)
        return False
    if st.session_state.get(marker) == uploaded.file_id and role in ws.files:
        return True
    try:
        ws.stage(role, uploaded.name, uploaded.getvalue())
    except SqeGeoError as exc:
        ws.files.pop(role, None)
        st.error(str(exc))
        return False
    st.session_state[marker] = uploaded.file_id
    return True


def _pick(
    label: str, columns: list[str], key: str, *, optional: bool = False, guess: Sequence[str] = ()
) -> str | None:
    options = [_NONE, *columns] if optional else columns
    index = 0
    for name in guess:
        matches = [i for i, c in enumerate(options) if c and c.lower() == name.lower()]
        if matches:
            index = matches[0]
            break
    value = st.selectbox(label, options, index=index, key=key)
    return value or None


def upload_section(lang: str) -> None:
    """The upload form: files, column mapping, computing the uploaded study."""
    st.subheader(t("upload", lang))
    st.caption(t("upload_intro", lang, mb=f"{upload_limit() / 1024**2:g}"))
    if st.session_state.get("uploaded_study") and st.button(
        t("back_to_default", lang), key="upload_reset"
    ):
        st.session_state.pop("uploaded_study", None)
        st.rerun()
    cols = st.columns(3)
    with cols[0]:
        boundaries = st.file_uploader(
            t("boundaries_file", lang), type=["gpkg", "geojson", "json", "zip"], key="up_b"
        )
    with cols[1]:
        table = st.file_uploader(
            t("demographics_file", lang), type=["csv", "txt", "xlsx"], key="up_d"
        )
    with cols[2]:
        services = st.file_uploader(
            t("services_file", lang), type=["gpkg", "geojson", "json", "zip"], key="up_s"
        )
    if boundaries is None and table is None and services is None:
        return
    ws = _workspace()
    ok_b = _stage(ws, "boundaries", boundaries)
    ok_d = _stage(ws, "demographics", table)
    ok_s = _stage(ws, "services", services)
    if not (ok_b and ok_d):
        return
    try:
        b_cols = ws.columns("boundaries")
        d_cols = ws.columns("demographics")
        s_cols = ws.columns("services") if ok_s else []
    except SqeGeoError as exc:
        st.error(str(exc))
        return

    st.markdown(f"**{t('mapping', lang)}**")
    with st.container(border=True):
        c1, c2 = st.columns(2)
        with c1:
            st.markdown(f"*{t('boundaries_file', lang)}*")
            id_col = _pick(
                t("id_column", lang),
                b_cols,
                "up_id",
                guess=("quarter_id", "id", "nummer", "nr", "stadtteil_nr"),
            )
            name_col = _pick(
                t("name_column", lang),
                b_cols,
                "up_name",
                guess=("name", "stadtteil", "bezeichnung"),
            )
            area_col = _pick(
                t("area_column", lang),
                b_cols,
                "up_area",
                optional=True,
                guess=("planning_area", "planungsraum"),
            )
            crs = st.text_input(t("crs", lang), key="up_crs")
        with c2:
            st.markdown(f"*{t('demographics_file', lang)}*")
            key_col = _pick(
                t("key_column", lang),
                d_cols,
                "up_key",
                guess=("stadtteil", "stadtteil_nr", "quarter_id", "name"),
            )
            year_col = _pick(
                t("year_column", lang), d_cols, "up_year", optional=True, guess=("jahr", "year")
            )
            year = st.number_input(t("single_year", lang), 1950, 2100, 2023, key="up_year_n")
            total_col = _pick(
                t("total_column", lang),
                d_cols,
                "up_total",
                guess=("einwohner", "insgesamt", "total", "personen"),
            )
            guessed = [c for c in d_cols if guess_age_range(c)]
            bands = st.multiselect(t("band_columns", lang), d_cols, default=guessed, key="up_bands")
            ranges = {
                col: st.text_input(
                    t("band_range", lang, col=col),
                    value=guess_age_range(col) or "",
                    key=f"up_range_{col}",
                )
                for col in bands
            }
        if s_cols:
            st.markdown(f"*{t('services_file', lang)}*")
            c3, c4, c5 = st.columns(3)
            with c3:
                cat_col = _pick(
                    t("category_column", lang), s_cols, "up_cat", guess=("category", "kategorie")
                )
            with c4:
                sname_col = _pick(
                    t("service_name_column", lang),
                    s_cols,
                    "up_sname",
                    optional=True,
                    guess=("name",),
                )
            with c5:
                cap_col = _pick(
                    t("capacity_column", lang),
                    s_cols,
                    "up_cap",
                    optional=True,
                    guess=("capacity", "places", "plaetze"),
                )
        else:
            cat_col = sname_col = cap_col = None
        title = st.text_input(t("title", lang), value="Eigene Studie", key="up_title")
        submitted = st.button(t("compute_upload", lang), type="primary", key="up_submit")
    if not submitted:
        return
    mapping = UploadMapping(
        id_column=id_col or "",
        name_column=name_col or "",
        key_column=key_col or "",
        total_column=total_col or "",
        bands={c: r.strip() for c, r in ranges.items()},
        year_column=year_col,
        year=int(year),
        planning_area_column=area_col,
        crs=crs.strip() or None,
        category_column=cat_col or "category",
        service_name_column=sname_col,
        capacity_column=cap_col,
        services_crs=crs.strip() or None,
        title=title,
    )
    try:
        config = ws.build_config(mapping)
        ref = (str(ws.folder), config.model_dump_json())
        with st.spinner(t("computing", lang)):
            new = state.compute_results(*ref)
    except SqeGeoError as exc:
        st.error(str(exc))
        return
    st.session_state["uploaded_study"] = ref
    st.success(
        t(
            "upload_ok",
            lang,
            n=len(new.units["quarter"]),
            years=", ".join(str(y) for y in new.years),
        )
    )
    findings = new.report.to_frame()
    if len(findings):
        findings = findings[findings["severity"].isin(["warning", "error"])]
    if len(findings):
        st.warning(t("upload_warnings", lang))
        st.dataframe(findings, hide_index=True, width="stretch")
