"""The one-page handout of a race: the figure, the settings, the first and last rows of each table and the link
that reproduces the view, as print-ready HTML (``viz.export.handout_pdf`` prints it to a PDF page)."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

import numpy as np

from .style import format_number


_HANDOUT_CSS = """
@page { size: A4 landscape; margin: 8mm; }
* { box-sizing: border-box; }
body { font-family: "Source Sans Pro", Arial, sans-serif; color: #111; margin: 0; font-size: 8pt; }
h1 { font-size: 13pt; margin: 0 0 1.5mm 0; }
h2 { font-size: 9.5pt; margin: 2mm 0 0.8mm 0; }
.top { display: flex; gap: 4mm; align-items: flex-start; }
.top img { width: 140mm; border: 0.2mm solid #999; }
.top .side { flex: 1; }
.side dl { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: 0.5mm 3mm; }
.side dt { font-weight: 700; }
.side dd { margin: 0; }
a { color: #0645AD; word-break: break-all; }
table { border-collapse: collapse; font-size: 6.8pt; }
th, td { border: 0.2mm solid #bbb; padding: 0.2mm 1mm; text-align: right; white-space: nowrap; }
th { background: #eee; }
td.text, th.text { text-align: left; }
.tables { display: flex; flex-wrap: wrap; gap: 1mm 4mm; }
.tables h3 { font-size: 7.5pt; margin: 0.5mm 0 0.3mm 0; }
.note { color: #444; font-size: 7pt; margin: 1mm 0; }
"""


def _cell(v) -> str:
    if isinstance(v, (float, np.floating)) or (isinstance(v, (int, np.integer)) and not isinstance(v, bool)):
        return format_number(float(v)) if isinstance(v, (float, np.floating)) else str(int(v))
    return html.escape(str(v))


def _table(columns: Sequence[str], rows: Sequence[Sequence]) -> str:
    head = "".join(f"<th class='text'>{html.escape(c)}</th>" if i == 0 else f"<th>{html.escape(c)}</th>"
                   for i, c in enumerate(columns))
    body = "".join("<tr>" + "".join(
        f"<td class='{'text' if isinstance(v, str) else ''}'>{_cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def handout_html(*, title: str, figure_png: bytes | None, settings: dict[str, str], link: str,
                 summary_columns: Sequence[str], summary_rows: Sequence[Sequence],
                 tables: Sequence[tuple[str, Sequence[str], Sequence[Sequence]]]) -> str:
    """A one-page, print-ready handout (A4 landscape): the figure, the settings, the link that reproduces the view,
    the summary table and the first and last rows of each run's iteration table (numbers to 5 decimals, as the
    page shows them). ``tables`` holds (title, columns, rows) per run."""
    img = (f"<img alt='the race' src='data:image/png;base64,{base64.b64encode(figure_png).decode()}'>"
           if figure_png else "<p class='note'>(The figure could not be drawn here.)</p>")
    dl = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in settings.items())
    link_html = f"<a href='{html.escape(link, quote=True)}'>{html.escape(link)}</a>"
    runs = "".join(f"<div><h3>{html.escape(name)}</h3>{_table(cols, rows)}</div>" for name, cols, rows in tables)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_HANDOUT_CSS}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<div class='top'>{img}<div class='side'><h2>Settings</h2><dl>{dl}</dl>"
            f"<h2>This view, live</h2><p>{link_html}</p><p class='note'>Open the link to see this race in the "
            f"optimizer lab, with every setting as shown here.</p></div></div>"
            f"<h2>Summary</h2>{_table(summary_columns, summary_rows)}"
            f"<h2>Iteration tables: first and last rows</h2><div class='tables'>{runs}</div>"
            f"<p class='note'>Numbers to 5 decimals; the CSV downloads of the page keep every digit.</p>"
            f"</body></html>")
