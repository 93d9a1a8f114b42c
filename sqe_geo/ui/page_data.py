"""Page "Daten & Methodik": definitions, sources, data quality and the upload of a study."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from sqe_geo._errors import SqeGeoError
from sqe_geo.io.upload import MAX_UPLOAD_BYTES, UploadMapping, UploadWorkspace, guess_age_range
from sqe_geo.pipeline import Results
from sqe_geo.ui import state
from sqe_geo.ui.texts import column_names, finding_label, parameter_name, t

_NONE = ""


def _definitions(results: Results, lang: str) -> pd.DataFrame:
    definitions = results.catalog.definitions(lang)
    definitions["direction"] = definitions["direction"].map(lambda d: t(f"dir_{d}", lang))
    return definitions.rename(columns=column_names("definition", lang))


def _findings_table(report: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Findings with severity and layer in words and headers in ``lang`` (no check ids)."""
    report = report.copy()
    for column in ("severity", "layer"):
        report[column] = report[column].map(lambda v: finding_label(str(v), lang))
    # the check is an id for programs; people read the message
    return report.drop(columns=["check"]).rename(columns=column_names("report", lang))


def _parameters(results: Results, lang: str) -> pd.DataFrame:
    # values may be catalog messages: str() renders them in the page's language
    rows = [(parameter_name(k, lang), str(v)) for k, v in results.parameters.items()]
    return pd.DataFrame(rows, columns=[t("parameter", lang), t("value", lang)])


def render(results: Results) -> None:
    """Draw the page."""
    lang = state.language()
    st.header(t("page_data", lang))
    config = results.study.config
    if config.description:
        st.write(config.description)

    st.subheader(t("definitions", lang))
    st.dataframe(_definitions(results, lang), hide_index=True, width="stretch")

    st.subheader(t("sources", lang))
    if config.sources:
        sources = pd.DataFrame([s.model_dump() for s in config.sources])
        st.dataframe(
            sources.rename(columns=column_names("source", lang)), hide_index=True, width="stretch"
        )
    else:
        st.write(t("none", lang))

    st.subheader(t("parameters", lang))
    st.dataframe(_parameters(results, lang), hide_index=True, width="stretch")

    st.subheader(t("quality", lang))
    report = results.report.to_frame()
    if len(report):
        st.dataframe(_findings_table(report, lang), hide_index=True, width="stretch")
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
    placeholder = t("choose_option", state.language())
    value = st.selectbox(label, options, index=index, key=key, placeholder=placeholder)
    return value or None


def _upload_files(lang: str) -> dict[str, UploadedFile | None]:
    """The three file uploaders: role -> uploaded file."""
    specs = (
        ("boundaries", "boundaries_file", ["gpkg", "geojson", "json", "zip"], "up_b"),
        ("demographics", "demographics_file", ["csv", "txt", "xlsx"], "up_d"),
        ("services", "services_file", ["gpkg", "geojson", "json", "zip"], "up_s"),
    )
    files: dict[str, UploadedFile | None] = {}
    for col, (role, label, types, key) in zip(st.columns(3), specs, strict=True):
        with col:
            files[role] = st.file_uploader(t(label, lang), type=types, key=key)
    return files


def _boundary_mapping(lang: str, b_cols: list[str]) -> dict[str, Any]:
    st.markdown(f"*{t('boundaries_file', lang)}*")
    id_col = _pick(
        t("id_column", lang),
        b_cols,
        "up_id",
        guess=("quarter_id", "id", "nummer", "nr", "stadtteil_nr"),
    )
    name_col = _pick(
        t("name_column", lang), b_cols, "up_name", guess=("name", "stadtteil", "bezeichnung")
    )
    area_col = _pick(
        t("area_column", lang),
        b_cols,
        "up_area",
        optional=True,
        guess=("planning_area", "planungsraum"),
    )
    crs = st.text_input(t("crs", lang), key="up_crs").strip() or None
    return {
        "id_column": id_col or "",
        "name_column": name_col or "",
        "planning_area_column": area_col,
        "crs": crs,
        "services_crs": crs,
    }


def _demographics_mapping(lang: str, d_cols: list[str]) -> dict[str, Any]:
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
    bands = st.multiselect(
        t("band_columns", lang),
        d_cols,
        default=guessed,
        key="up_bands",
        placeholder=t("choose_options", lang),
    )
    ranges = {
        col: st.text_input(
            t("band_range", lang, col=col), value=guess_age_range(col) or "", key=f"up_range_{col}"
        )
        for col in bands
    }
    return {
        "key_column": key_col or "",
        "year_column": year_col,
        "year": int(year),
        "total_column": total_col or "",
        "bands": {c: r.strip() for c, r in ranges.items()},
    }


def _services_mapping(lang: str, s_cols: list[str]) -> dict[str, Any]:
    if not s_cols:
        return {"category_column": "category"}
    st.markdown(f"*{t('services_file', lang)}*")
    c3, c4, c5 = st.columns(3)
    with c3:
        cat_col = _pick(
            t("category_column", lang), s_cols, "up_cat", guess=("category", "kategorie")
        )
    with c4:
        sname_col = _pick(
            t("service_name_column", lang), s_cols, "up_sname", optional=True, guess=("name",)
        )
    with c5:
        cap_col = _pick(
            t("capacity_column", lang),
            s_cols,
            "up_cap",
            optional=True,
            guess=("capacity", "places", "plaetze"),
        )
    return {
        "category_column": cat_col or "category",
        "service_name_column": sname_col,
        "capacity_column": cap_col,
    }


def _staged_columns(
    files: dict[str, UploadedFile | None],
) -> tuple[UploadWorkspace, dict[str, list[str]]] | None:
    """Stage the files; (workspace, role -> columns), or None when not ready or refused."""
    ws = _workspace()
    staged = {role: _stage(ws, role, uploaded) for role, uploaded in files.items()}
    if not (staged["boundaries"] and staged["demographics"]):
        return None
    try:
        columns = {role: ws.columns(role) if ok else [] for role, ok in staged.items()}
    except SqeGeoError as exc:
        st.error(str(exc))
        return None
    return ws, columns


def _compute_upload(ws: UploadWorkspace, mapping: UploadMapping, lang: str) -> None:
    """Compute the uploaded study and make it the app's study."""
    try:
        config = ws.build_config(mapping)
        ref = (str(ws.folder), config.model_dump_json())
        with st.spinner(t("computing", lang)):
            new = state.compute_results(*ref)
    except SqeGeoError as exc:
        st.error(str(exc))
        return
    st.session_state["uploaded_study"] = ref
    years = ", ".join(str(y) for y in new.years)
    st.success(t("upload_ok", lang, n=len(new.units["quarter"]), years=years))
    findings = new.report.to_frame()
    if len(findings):
        findings = findings[findings["severity"].isin(["warning", "error"])]
    if len(findings):
        st.warning(t("upload_warnings", lang))
        st.dataframe(_findings_table(findings, lang), hide_index=True, width="stretch")


def upload_section(lang: str) -> None:
    """The upload form: files, column mapping, computing the uploaded study."""
    st.subheader(t("upload", lang))
    st.caption(t("upload_intro", lang, mb=f"{upload_limit() / 1024**2:g}"))
    if st.session_state.get("uploaded_study") and st.button(
        t("back_to_default", lang), key="upload_reset"
    ):
        st.session_state.pop("uploaded_study", None)
        st.rerun()
    files = _upload_files(lang)
    if all(f is None for f in files.values()):
        return
    staged = _staged_columns(files)
    if staged is None:
        return
    ws, columns = staged
    st.markdown(f"**{t('mapping', lang)}**")
    with st.container(border=True):
        c1, c2 = st.columns(2)
        with c1:
            fields = _boundary_mapping(lang, columns["boundaries"])
        with c2:
            fields |= _demographics_mapping(lang, columns["demographics"])
        fields |= _services_mapping(lang, columns["services"])
        fields["title"] = st.text_input(
            t("title", lang), value=t("upload_default_title", lang), key="up_title"
        )
        submitted = st.button(t("compute_upload", lang), type="primary", key="up_submit")
    if submitted:
        _compute_upload(ws, UploadMapping(**fields), lang)
