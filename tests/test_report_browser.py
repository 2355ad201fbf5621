"""The report as a browser shows it: headless Chromium renders the leaderboard and a case page
at 1600x1000; the pages' own script writes what it measured into the DOM (page width, whether
each headline table fits, whether each image and video loaded), read back from ``--dump-dom``.
Skipped, with the reason, where Chromium is not installed (Debian: ``apt-get install -y
chromium``)."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from wmbench.cli import main
from wmbench.report import headline, reported
from wmbench.report.measured import load_runs, merged_specs
from wmbench.report.tables import long_table

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not installed: `apt-get install -y chromium` (Debian) to run the "
    "browser test of the HTML report",
)
WIDTH = 1600


class _Dom(HTMLParser):
    """The measurements the page's script left in the DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.body: dict[str, str] = {}
        self.tables: list[dict[str, str]] = []  # headline tables: data-fits, rows
        self.images: list[str] = []
        self.videos: list[str] = []
        self._in_body = False
        self._in_table = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "body":
            self.body = found
        elif tag == "table" and "headline" in found.get("class", "").split():
            self.tables.append({"fits": found.get("data-fits", ""), "rows": "0"})
            self._in_table = True
        elif tag == "tbody" and self._in_table:
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.tables[-1]["rows"] = str(int(self.tables[-1]["rows"]) + 1)
        elif tag == "img":
            self.images.append(found.get("data-loaded", "missing"))
        elif tag == "video":
            self.videos.append(found.get("data-loaded", "missing"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._in_table = False


def rendered(page: Path) -> _Dom:
    """``page`` rendered by headless Chromium in a 1600x1000 window, then parsed."""
    command = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        f"--window-size={WIDTH},1000", "--virtual-time-budget=15000", "--dump-dom",
        page.as_uri(),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=True)
    dom = _Dom()
    dom.feed(result.stdout)
    return dom


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    run, out = root / "run", root / "board"
    command = ["run", "--suite", "smoke", "--out", str(run),
               "--evaluators", "throughput,camera,revisit"]  # fmt: skip
    assert main(command) == 0
    case = run / "cases" / "oracle" / "hard_60s" / "room_001"
    with np.load(case / "series.npz") as stored:
        series = dict(stored)
    with np.load(case / "poses.npz") as poses:
        expressed = poses["requested_c2w"].copy()
    expressed[:, 0, 3] += np.linspace(0.0, 0.2, len(expressed))  # a control that drifts right
    series |= {  # a revisit pair, as the revisit evaluator stores SANA-WM-Bench's pairs
        "revisit/sanawm/pairs": np.array([[0, 32]]),
        "revisit/sanawm/psnr_db": np.array([18.5]),
        "revisit/sanawm/ssim": np.array([0.41]),
        "model/control_expressed/c2w": expressed,  # as a control-compiling adapter stores it
    }
    np.savez(case / "series.npz", **series)
    assert main(["report", str(run), "--against", "reported", "--out", str(out)]) == 0
    return run, out


def test_leaderboard_headline_fits_and_every_image_loads(report):
    run, out = report
    dom = rendered(out / "leaderboard.html")
    assert dom.body.get("data-viewport-width") == str(WIDTH)
    assert int(dom.body["data-page-width"]) <= WIDTH  # no horizontal scroll of the page
    loaded = load_runs([run])
    files, specs = reported.resolve(["reported"]), merged_specs(loaded)
    board = headline.build(loaded, files, long_table(loaded, files, specs), specs)
    expected = [len(headline.frame(board, split)) for split in board.splits]
    assert [int(table["rows"]) for table in dom.tables] == expected  # one row per model
    # 6 of Table 2 + 1 other publication + oracle, static, and their `[pycolmap]` rows (the
    # sanawm metrics from pycolmap poses here, not Pi3's: rows of their own)
    assert expected == [11, 11]
    assert all(table["fits"] == "true" for table in dom.tables)
    assert dom.images and all(state == "true" for state in dom.images)


def test_case_page_shows_paths_pairs_and_a_playing_video(report):
    _, out = report
    page = out / "cases" / "oracle" / "hard_60s" / "room_001" / "index.html"
    text = page.read_text()
    assert 'alt="Camera paths and errors"' in text and 'alt="Revisit pairs"' in text
    assert "orange dashed: what the model&#x27;s control can express" in text
    dom = rendered(page)
    assert dom.body["data-measured"] == "true"
    assert dom.images and all(state == "true" for state in dom.images)
    assert dom.videos == ["true"]
    assert int(dom.body["data-page-width"]) <= WIDTH


def test_model_page_lists_cases_worst_first(report):
    _, out = report
    page = (out / "cases" / "oracle" / "index.html").read_text()
    metric = "rot_err_deg/sanawm@pycolmap"  # the headline's RotErr, from pycolmap poses here
    assert f"by <code>{metric}</code>, worst first" in page
    links = [line for line in page.split("<li>") if "index.html" in line]
    values = [float(line.split(f"{metric} ")[1].split("<")[0].split(" ")[0]) for line in links]
    assert len(values) == 2 and values == sorted(values, reverse=True)
