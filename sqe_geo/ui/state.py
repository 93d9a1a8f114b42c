"""Study loading, caching and the shared selection (language, indicator, year, quarter).

The selection lives in ``st.session_state`` under plain keys and is mirrored into the URL
query string, so a link reproduces what a planner sees. Widgets use their own keys
(``w_<key>``) and copy into the plain keys, because Streamlit forgets the state of widgets
that a page does not draw.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import streamlit as st

import sqe_geo
from sqe_geo._errors import SqeGeoError
from sqe_geo.config import StudyConfig, load_config
from sqe_geo.i18n.messages import LANGUAGES
from sqe_geo.pipeline import Results
from sqe_geo.ui.texts import t

_LOG = logging.getLogger(__name__)

#: Selection keys mirrored into the URL.
QUERY_KEYS = ("lang", "indicator", "year", "quarter", "scheme", "k")
DEFAULT_INDICATORS = ("share_oldest_old", "share_older")


def default_study_path() -> str:
    """The study of the app: ``$SQE_STUDY`` or the embedded demo."""
    return os.environ.get("SQE_STUDY") or str(sqe_geo.DEMO_STUDY)


def study_ref() -> tuple[str, str | None]:
    """(path, config JSON) of the current study; the JSON is set for uploaded studies."""
    uploaded: tuple[str, str | None] | None = st.session_state.get("uploaded_study")
    if uploaded:
        return uploaded
    return default_study_path(), None


@st.cache_resource(show_spinner=False, max_entries=4)
def compute_results(path: str, config_json: str | None, accessibility: bool = True) -> Results:
    """Load and compute a study once per (path, config, parameters); shared read-only."""
    config = StudyConfig.model_validate_json(config_json) if config_json else load_config(path)
    study = sqe_geo.load_study(config)
    return sqe_geo.run(study, accessibility=accessibility)


@contextlib.contextmanager
def errors_shown() -> Iterator[None]:
    """Show errors in the page's language instead of a Python exception.

    A user mistake (:class:`SqeGeoError`) shows its message, which names the file, column
    or key and the fix. Anything else is a bug: the page says so in the UI language with
    the time, the traceback goes to the server log, and the page stops. Streamlit's own
    control flow (rerun, stop, page switch) derives from ``BaseException`` and passes.
    """
    language = st.session_state.get("lang", "de")
    try:
        yield
    except SqeGeoError as exc:
        st.error(str(exc))
        st.stop()
    except Exception:
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        _LOG.exception("sqe-geo app: internal error at %s UTC", now)
        st.error(t("internal_error", language, time=now))
        st.stop()


def get_results() -> Results:
    """The current study's results; shows the error and stops the page on a user error."""
    path, config_json = study_ref()
    language = st.session_state.get("lang", "de")
    try:
        with st.spinner(t("computing", language)):
            return compute_results(path, config_json)
    except SqeGeoError as exc:
        st.error(str(exc))
        if st.session_state.get("uploaded_study"):
            st.session_state.pop("uploaded_study", None)
            st.button(t("back_to_default", language))
        st.stop()
        raise  # unreachable: st.stop() raises


def language() -> str:
    """The UI language (``"de"`` or ``"en"``)."""
    lang: str = st.session_state.get("lang", "de")
    return lang


def ordered_indicators(results: Results) -> list[str]:
    """Ageing indicators first (catalog order), then accessibility grouped by category."""
    ageing = [i.id for i in results.catalog if i.category is None]
    access = [i.id for i in results.catalog if i.category is not None]
    categories = list(dict.fromkeys(results.catalog[i].category for i in access))
    access.sort(key=lambda i: categories.index(results.catalog[i].category))
    return ageing + access


def init_selection(results: Results) -> None:
    """Fill the selection from the URL (first run of a session) and repair invalid values."""
    state = st.session_state
    if not state.get("_query_loaded"):
        params = st.query_params
        for key in QUERY_KEYS:
            if key in params and key not in state:
                state[key] = params[key]
        state["_query_loaded"] = True
    if state.get("lang") not in LANGUAGES:
        state["lang"] = "de"
    ids = results.catalog.ids
    if state.get("indicator") not in ids:
        state["indicator"] = next((i for i in DEFAULT_INDICATORS if i in ids), ids[0])
    years = results.years
    try:
        year = int(state.get("year"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        year = None
    state["year"] = year if year in years else years[-1]
    quarters = list(results.units["quarter"]["unit_id"])
    if state.get("quarter") not in quarters:
        state["quarter"] = quarters[0]
    if state.get("scheme") not in ("quantiles", "fisher_jenks", "equal_interval"):
        state["scheme"] = "quantiles"
    try:
        k = int(state.get("k"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        k = 5
    state["k"] = min(max(k, 3), 7)


def sync_query_params(page: str) -> None:
    """Write the selection and the page into the URL query string."""
    wanted = {key: str(st.session_state[key]) for key in QUERY_KEYS if key in st.session_state}
    wanted["page"] = page
    current = st.query_params.to_dict()
    if current != wanted:
        st.query_params.from_dict(wanted)


def bound(
    widget: Callable[..., Any],
    label: str,
    key: str,
    *,
    options: Sequence[Any] | None = None,
    **kwargs: Any,
) -> Any:
    """Draw a widget bound to the selection key ``key`` (kept across pages)."""
    state = st.session_state
    wkey = f"w_{key}"
    if options is not None:
        options = list(options)
        current = state.get(key)
        if isinstance(current, list):  # multiselect: keep the valid part
            state[key] = [v for v in current if v in options]
        elif current not in options and options:
            state[key] = options[0]
        kwargs["options"] = options
    state[wkey] = state.get(key)
    if widget is st.selectbox or widget is st.multiselect:
        kwargs.setdefault(
            "placeholder",
            t("choose_options" if widget is st.multiselect else "choose_option", language()),
        )

    def copy() -> None:
        state[key] = state[wkey]

    value = widget(label, key=wkey, on_change=copy, **kwargs)
    state[key] = value
    return value


def study_badges(results: Results) -> None:
    """The "Demo-Daten" / "schematische Grenzen" labels every page shows."""
    lang = language()
    config = results.study.config
    parts = []
    if config.demo:
        parts.append(f":orange-badge[{t('demo', lang)}]")
    if config.schematic_boundaries:
        parts.append(f":gray-badge[{t('schematic', lang)}]")
    if st.session_state.get("uploaded_study"):
        parts.append(f":blue-badge[{t('uploaded', lang)}]")
    title = config.title or config.name
    help_text = " ".join(
        t(k, lang)
        for k, on in (("demo_help", config.demo), ("schematic_help", config.schematic_boundaries))
        if on
    )
    st.markdown(" ".join([*parts, f"{t('study', lang)}: **{title}**"]), help=help_text or None)


def file_label(path: str | Path) -> str:
    """A short label of a study file for the sidebar."""
    return Path(path).name
