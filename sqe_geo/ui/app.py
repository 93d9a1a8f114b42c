"""Entry of the Streamlit app: page setup, language switch, navigation and deep links."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from sqe_geo.i18n.messages import LANGUAGES, use_language
from sqe_geo.ui import state
from sqe_geo.ui.texts import t

#: The one table of pages: url_path -> (text key of the title, icon, module that renders it).
#: :func:`main` registers them with st.navigation; each page script calls :func:`run_page`.
PAGE_SPECS = {
    "karte": ("page_map", ":material/map:", "sqe_geo.ui.page_map"),
    "vergleich": ("page_compare", ":material/bar_chart:", "sqe_geo.ui.page_compare"),
    "szenarien": ("page_scenarios", ":material/add_location_alt:", "sqe_geo.ui.page_scenarios"),
    "profil": ("page_profile", ":material/location_city:", "sqe_geo.ui.page_profile"),
    "export": ("page_export", ":material/download:", "sqe_geo.ui.page_export"),
    "daten": ("page_data", ":material/info:", "sqe_geo.ui.page_data"),
}
PAGES: dict[str, st.Page] = {}


def goto(page: str) -> None:
    """Switch to another page of the app (``"karte"``, ``"profil"``, …)."""
    st.switch_page(PAGES[page])


PAGE_DIR = Path(__file__).resolve().parent / "pages"


def run_page(key: str) -> None:
    """Body of every page script: results, selection, study labels, the page, the URL."""
    import importlib

    # only the page drawn (the first Karte need not wait for Altair, the exports …)
    module = importlib.import_module(PAGE_SPECS[key][2])
    with state.errors_shown():
        results = state.get_results()
        state.init_selection(results)
        state.study_badges(results)
    with state.errors_shown():
        module.render(results)
    state.sync_query_params(key)


def main() -> None:
    """Run one script pass of the app."""
    st.set_page_config(
        page_title="sqe-geo",
        page_icon=":material/elderly:",
        layout="wide",
        initial_sidebar_state="expanded",
    )
    if "lang" not in st.session_state:
        lang = st.query_params.get("lang", "de")
        st.session_state["lang"] = lang if lang in LANGUAGES else "de"
    lang = st.session_state["lang"]
    with st.sidebar:
        st.markdown(f"**{t('app_title', lang)}**")
        state.bound(
            st.radio,
            t("language", lang),
            "lang",
            options=list(LANGUAGES),
            format_func=lambda code: t(f"lang_{code}", lang),
            horizontal=True,
        )
    lang = st.session_state["lang"]
    PAGES.clear()
    for key, (title_key, icon, _) in PAGE_SPECS.items():
        PAGES[key] = st.Page(
            PAGE_DIR / f"{key}.py",
            title=t(title_key, lang),
            icon=icon,
            url_path=key,
            default=key == "karte",
        )
    current = st.navigation(list(PAGES.values()))
    wanted = st.query_params.get("page")
    if not st.session_state.get("_deep_linked"):
        st.session_state["_deep_linked"] = True
        if wanted in PAGES and PAGES[wanted].url_path != current.url_path:
            st.switch_page(PAGES[wanted], query_params=st.query_params.to_dict())
    # library messages (errors, findings) render in the UI's language during the page run
    with use_language(lang):
        current.run()
