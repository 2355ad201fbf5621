"""The registry of reported numbers: its content, its citations and the loader's validation."""

import pytest
import yaml

from wmbench.core.errors import InputError
from wmbench.harness.records import ModelRecord
from wmbench.report import reported

GOOD_ENTRY = {
    "id": "x.videos_per_hour",
    "model": "X",
    "claim": "X is fast",
    "metric": "videos/hour",
    "value": 2.5,
    "unit": "videos/h",
    "higher_is_better": True,
    "protocol": "as published",
    "setting": "60 s",
    "needs": "X's weights",
}


def _write(tmp_path, entries, top=None):
    data = {"schema": 1, "revision": 1, "source": {"title": "T", "arxiv": "1"}, "entries": entries}
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump({**data, **(top or {})}))
    return path


def test_registry_holds_the_published_sana_wm_figures():
    (file,) = reported.resolve(["sana_wm"])
    assert file.source.arxiv == "2605.15178" and file.revision >= 2
    counts: dict[tuple[str, str], set[str]] = {}
    values = {}
    for entry in file.entries:
        counts.setdefault((entry.table, entry.split), set()).add(entry.model)
        values[(entry.model, entry.metric, entry.split)] = entry.value
        assert "arXiv 2605.15178" in entry.citation and entry.protocol and entry.needs
        assert "not in our sources" not in entry.setting.split(";")[0]  # the splits are named
    six = {"Infinite-World", "LingBot-World", "HY-WorldPlay", "Matrix-Game 3.0", "SANA-WM",
           "SANA-WM + refiner"}  # fmt: skip
    assert counts[("Table 2", "simple_60s")] == counts[("Table 2", "hard_60s")] == six
    assert counts[("Table 8", "hard_60s")] == six
    assert counts[("Table 9", "hard_60s")] == {"SANA-WM bidirectional"}
    assert len(file.entries) == 6 * 6 + 6 * 4 + 6 * 6 + 4 + 1
    assert values[("SANA-WM + refiner", "RotErr", "simple_60s")] == 4.5
    assert values[("SANA-WM + refiner", "RotErr", "hard_60s")] == 8.34
    assert values[("SANA-WM + refiner", "CamMC", "hard_60s")] == 1.44
    assert values[("SANA-WM", "videos/hour", "simple_60s")] == 24.1
    assert values[("LingBot-World", "peak memory", "simple_60s")] == 454.1
    assert values[("HY-WorldPlay", "ΔIQ", "hard_60s")] == 25.88
    assert values[("SANA-WM bidirectional", "VBench Overall", "hard_60s")] == 80.18
    assert values[("SANA-WM distilled, NVFP4", "denoising time per 60 s clip", "")] == 34.0


def test_matrix_game_3_5_and_cami2v_have_their_own_files():
    (mg,) = reported.resolve(["matrix_game_3_5"])
    assert {e.metric: e.value for e in mg.entries} == {
        "RotErr": 1.63, "TransErr": 1.10, "CamMC": 1.11, "VBench Overall": 80.14,
        "peak memory": 77.0, "videos/hour": 10.9,
    }  # fmt: skip
    (cami2v,) = reported.resolve(["cami2v"])
    table = {(e.model, e.metric): e.value for e in cami2v.entries}
    assert table[("DynamiCrafter", "CamMC")] == 11.625
    assert table[("DynamiCrafter + CamI2V", "RotErr")] == 0.4758
    assert {e.beside for e in cami2v.entries} == {
        "rot_err_rad_sum/cami2v@glomap", "trans_err_sum/cami2v@glomap", "cammc_sum/cami2v@glomap"
    }  # fmt: skip


def test_reported_means_every_file_and_unknown_names_are_errors():
    assert [f.name for f in reported.resolve(["reported"])] == reported.available()
    with pytest.raises(InputError, match="one of: reported, cami2v, matrix_game_3_5, sana_wm"):
        reported.resolve(["nope"])


def test_a_file_path_loads_with_optional_fields(tmp_path):
    entry = {**GOOD_ENTRY, "table": "Table 3", "measured_by": {"name": "x", "require": {"a": 1}}}
    (file,) = reported.resolve([str(_write(tmp_path, [entry]))])
    (result,) = file.entries
    assert result.citation == "T (arXiv 1, Table 3)" and result.short_citation == "arXiv 1, Table 3"
    assert result.measured_by.require == {"a": "1"}
    assert result.measured_by.mismatch(ModelRecord("x", "ok", {"a": "1"})) == ""
    assert "a=2" in result.measured_by.mismatch(ModelRecord("x", "ok", config={"a": 2}))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"value": "fast"}, "entries[0].value"),
        ({"value": float("nan")}, "entries[0].value"),
        ({"higher_is_better": "yes"}, "entries[0].higher_is_better"),
        ({"value": True}, "entries[0].value"),
        ({"colour": "red"}, "entries[0].colour"),
        ({"protocol": " "}, "entries[0].protocol"),
        ({"measured_by": {"require": {}}}, "entries[0].measured_by.name"),
    ],
    ids=["text-value", "nan", "text-direction", "bool-value", "unknown", "blank", "match-name"],
)
def test_bad_entries_name_the_file_and_field(tmp_path, change, field):
    path = _write(tmp_path, [{**GOOD_ENTRY, **change}])
    with pytest.raises(InputError) as error:
        reported.load(path)
    assert error.value.field == field and error.value.source == str(path)


@pytest.mark.parametrize(
    ("top", "field"),
    [
        ({"schema": 2}, "schema"),
        ({"source": {"title": "T"}}, "source.arxiv"),
        ({"entries": []}, "entries"),
        ({"revision": "one"}, "revision"),
    ],
    ids=["schema", "arxiv", "no-entries", "revision"],
)
def test_bad_files_name_the_field(tmp_path, top, field):
    with pytest.raises(InputError) as error:
        reported.load(_write(tmp_path, [GOOD_ENTRY], top))
    assert error.value.field == field


def test_missing_fields_and_duplicate_ids_are_errors(tmp_path):
    entry = {k: v for k, v in GOOD_ENTRY.items() if k != "needs"}
    with pytest.raises(InputError, match="entries\\[0\\].needs"):
        reported.load(_write(tmp_path, [entry]))
    with pytest.raises(InputError, match="entries\\[1\\].id"):
        reported.load(_write(tmp_path, [GOOD_ENTRY, GOOD_ENTRY]))
