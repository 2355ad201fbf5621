"""A report as a list of blocks, rendered to Markdown (images linked) or to one self-contained
HTML file (images embedded as base64 PNG)."""

from __future__ import annotations

import base64
import html
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from wmbench.report.plots import Plot


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Text:
    """A paragraph; `backticks` mark code."""

    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table; ``kind`` names it in the HTML (``class="headline"``: the page checks it fits)."""

    frame: pd.DataFrame
    empty_note: str = "(nothing to show)"
    kind: str = ""


@dataclass(frozen=True)
class Links:
    """A list of links (``text``, ``href`` relative to the page)."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Movie:
    """A video file linked (not embedded) from the page: ``href`` relative to the page."""

    title: str
    href: str
    note: str = ""


Block = Heading | Text | Bullets | Table | Links | Movie | Plot


@dataclass
class Document:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)


def markdown(document: Document, relative_to: Path) -> str:
    """Markdown with GitHub tables; figures link to their PNG files relative to ``relative_to``."""
    parts = [f"# {document.title}"]
    for block in document.blocks:
        if isinstance(block, Heading):
            parts.append(f"{'#' * block.level} {block.text}")
        elif isinstance(block, Text):
            parts.append(block.text)
        elif isinstance(block, Bullets):
            if block.items:
                parts.append("\n".join(f"- {item}" for item in block.items))
        elif isinstance(block, Table):
            parts.append(markdown_table(block.frame) if len(block.frame) else block.empty_note)
        elif isinstance(block, Links):
            if block.items:
                parts.append("\n".join(f"- [{text}]({href})" for text, href in block.items))
        elif isinstance(block, Movie):
            parts.append(f"[{block.title}]({block.href}) {block.note}".rstrip())
        elif block.path is None:
            parts.append(f"**{block.title}.** {block.note}")
        else:
            link = Path(os.path.relpath(block.path, relative_to)).as_posix()
            parts.append(f"![{block.title}]({link})\n\n*{block.title}.* {block.note}")
    return "\n\n".join(parts) + "\n"


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of ``frame`` (index dropped; pipes escaped)."""

    def cell(value: object) -> str:
        text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    header = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1520px; color: #222;
       padding: 0 1em; line-height: 1.4; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; cursor: pointer; }
th[aria-sort=ascending]::after { content: " \\25B2"; }
th[aria-sort=descending]::after { content: " \\25BC"; }
tr:nth-child(even) td { background: #fafafa; }
table.headline td { font-variant-numeric: tabular-nums; }
table.headline tr.measured td { background: #eef5ff; font-weight: 600; }
img, video { max-width: 100%; border: 1px solid #ddd; }
video { width: 960px; }
figcaption { font-size: 0.9em; color: #555; margin-bottom: 1.5em; }
code { background: #f2f2f2; padding: 0 0.2em; }
.wide { overflow-x: auto; }
"""

# Sort a table by a clicked header (numbers by value, empty cells last); mark measured headline
# rows; then record what the page looks like in the browser in data attributes (read by the
# headless-browser test): page width, whether each headline table fits, whether each image
# and video loaded.
_SCRIPT = """
function cellValue(row, index) {
  const text = row.cells[index] ? row.cells[index].textContent.trim() : "";
  const number = parseFloat(text.replace(/^[^0-9+\\-.]*/, ""));
  return { text: text, number: number };
}
function sortBy(th) {
  const table = th.closest("table"), body = table.tBodies[0], index = th.cellIndex;
  const ascending = th.getAttribute("aria-sort") !== "ascending";
  table.querySelectorAll("th").forEach(h => h.removeAttribute("aria-sort"));
  th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  const rows = Array.from(body.rows);
  rows.sort((a, b) => {
    const x = cellValue(a, index), y = cellValue(b, index);
    if (!x.text || !y.text) return (x.text ? 0 : 1) - (y.text ? 0 : 1);
    const order = (!isNaN(x.number) && !isNaN(y.number)) ? x.number - y.number
      : x.text.localeCompare(y.text);
    return ascending ? order : -order;
  });
  rows.forEach(row => body.appendChild(row));
}
function measure() {
  const page = document.documentElement;
  document.body.dataset.pageWidth = page.scrollWidth;
  document.body.dataset.viewportWidth = window.innerWidth;
  document.querySelectorAll("table.headline").forEach(table => {
    const box = table.parentElement;
    table.dataset.fits = String(table.scrollWidth <= box.clientWidth
      && table.getBoundingClientRect().right <= window.innerWidth);
  });
  document.querySelectorAll("img").forEach(img => {
    img.dataset.loaded = String(img.complete && img.naturalWidth > 0);
  });
  const videos = Array.from(document.querySelectorAll("video"));
  videos.forEach(video => {
    if (video.error) video.dataset.loaded = "false";
    else if (video.readyState >= 1) video.dataset.loaded = String(video.videoWidth > 0);
  });
  document.body.dataset.measured = String(videos.every(v => v.dataset.loaded));
}
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.sortable th").forEach(th => {
    th.addEventListener("click", () => sortBy(th));
  });
  document.querySelectorAll("table.headline tbody tr").forEach(row => {
    if (Array.from(row.cells).some(c => c.textContent.trim() === "measured")) {
      row.classList.add("measured");
    }
  });
  document.querySelectorAll("video").forEach(video => {
    video.addEventListener("loadedmetadata", measure);
    video.addEventListener("error", measure);
  });
});
window.addEventListener("load", measure);
"""


def html_page(document: Document) -> str:
    """One HTML file with the CSS inline and every figure embedded as a base64 PNG."""
    body = [f"<h1>{html.escape(document.title)}</h1>"]
    for block in document.blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{_inline(block.text)}</h{block.level}>")
        elif isinstance(block, Text):
            body.append(f"<p>{_inline(block.text)}</p>")
        elif isinstance(block, Bullets):
            if block.items:
                items = "".join(f"<li>{_inline(item)}</li>" for item in block.items)
                body.append(f"<ul>{items}</ul>")
        elif isinstance(block, Table):
            if len(block.frame):
                classes = ["sortable", block.kind] if block.kind else ["sortable"]
                table = block.frame.to_html(
                    index=False, escape=True, na_rep="", border=0, classes=classes
                )
                body.append(f'<div class="wide">{table}</div>')
            else:
                body.append(f"<p>{html.escape(block.empty_note)}</p>")
        elif isinstance(block, Links):
            items = "".join(
                f'<li><a href="{html.escape(href)}">{_inline(text)}</a></li>'
                for text, href in block.items
            )
            body.append(f"<ul>{items}</ul>" if items else "")
        elif isinstance(block, Movie):
            body.append(
                f'<figure><video controls preload="metadata" src="{html.escape(block.href)}">'
                f"</video><figcaption><strong>{html.escape(block.title)}.</strong> "
                f'{_inline(block.note)} <a href="{html.escape(block.href)}">video file</a>'
                "</figcaption></figure>"
            )
        elif block.path is None:
            body.append(
                f"<p><strong>{html.escape(block.title)}.</strong> {_inline(block.note)}</p>"
            )
        else:
            data = base64.b64encode(block.path.read_bytes()).decode("ascii")
            body.append(
                f'<figure><img alt="{html.escape(block.title)}" src="data:image/png;base64,{data}">'
                f"<figcaption><strong>{html.escape(block.title)}.</strong> "
                f"{_inline(block.note)}</figcaption></figure>"
            )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(document.title)}</title><style>{_STYLE}</style>"
        f"<script>{_SCRIPT}</script></head>"
        "<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _inline(text: str) -> str:
    """Escape ``text``; `backticks` become <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))
