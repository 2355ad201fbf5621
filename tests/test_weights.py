import pytest

from wmbench.cli import main
from wmbench.core import weights
from wmbench.core.errors import MissingWeightsError
from wmbench.core.weight_entries import WeightEntry, WeightFile


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(tmp_path / "store"))
    return tmp_path / "store"


def test_missing_weights_name_the_file_to_place(store):
    with pytest.raises(MissingWeightsError) as error:
        weights.require("alexnet")
    assert str(store / "alexnet" / "alexnet-owt-7be5be79.pth") in str(error.value)
    assert "weights fetch alexnet" in str(error.value)


def test_placed_file_is_found_and_listed_with_its_checksum(store, capsys):
    path = store / "alexnet" / "alexnet-owt-7be5be79.pth"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"weights")
    assert weights.require("alexnet") == store / "alexnet"
    assert main(["weights", "list"]) == 0
    listing = capsys.readouterr().out
    line = next(row for row in listing.splitlines() if "alexnet-owt" in row)
    assert "present" in line and weights.sha256(path)[:16] in line
    assert "missing" in next(row for row in listing.splitlines() if "i3d_torchscript" in row)


def test_checksum_mismatch_is_reported(store, monkeypatch):
    entry = WeightEntry("toy", (WeightFile("w.bin", "https://x", "0" * 64),), "t")
    monkeypatch.setitem(weights.ENTRIES, "toy", entry)
    (store / "toy").mkdir(parents=True)
    (store / "toy" / "w.bin").write_bytes(b"other")
    [row] = [r for r in weights.status() if r["entry"] == "toy"]
    assert row["status"] == "CHECKSUM MISMATCH"


def test_fetch_offline_fails_with_instructions_and_leaves_nothing(store, monkeypatch):
    def offline(source, target):
        raise OSError("Name or service not known")

    monkeypatch.setattr(weights, "_download", offline)
    with pytest.raises(ConnectionError, match="weights fetch alexnet"):
        weights.fetch("alexnet")
    assert not list((store / "alexnet").iterdir())
