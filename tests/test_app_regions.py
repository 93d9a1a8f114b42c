"""The expander "Planungsräume neu zuschneiden" on the comparison page (AppTest)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

pytest.importorskip("spopt", reason="the optional extra 'regions' (spopt) is not installed")

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_proposal_beside_the_current_areas(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SQE_STUDY", raising=False)
    files: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def capture(self, path_or_data, mimetype, kind, filename=None):
        file_id = original(self, path_or_data, mimetype, kind, filename)
        if isinstance(path_or_data, bytes):
            files[file_id] = path_or_data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", capture)
    at = AppTest.from_file(APP, default_timeout=240)
    at.run()
    at.switch_page("sqe_geo/ui/pages/vergleich.py").run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="regions_method").set_value("azp")
    at.number_input(key="regions_k").set_value(6)
    at.button(key="regions_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    spread, areas = at.dataframe[-2].value, at.dataframe[-1].value
    assert spread["Einteilung"].tolist() == ["bisher", "Vorschlag"]
    cv = spread.set_index("Einteilung")["Variationskoeffizient"]
    assert cv["Vorschlag"] < cv["bisher"]
    assert (areas["Einteilung"] == "Vorschlag").sum() == 6
    assert (areas["Einwohner 65+"] % 10 == 0).all()
    button = next(b for b in at.get("download_button") if b.proto.id.endswith("-regions_download"))
    file_id = re.search(r"/([0-9a-f]+)\.\w+$", button.proto.url).group(1)
    mapping = pd.read_csv(io.BytesIO(files[file_id]), dtype=str)
    assert mapping.columns.tolist() == ["quarter_id", "name", "planning_area"]
    assert len(mapping) == 27 and mapping["planning_area"].nunique() == 6
