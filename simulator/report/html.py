"""One self-contained HTML report of a comparison: KPI table, plots as embedded PNGs, provenance.

The report has no external references: styles are inline and every figure
is a ``data:image/png;base64`` URI, so the file can be mailed or archived
alone. Every piece of text from scenario files is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from simulator.analysis.compare import Comparison
from simulator.io import png_bytes

__all__ = ["render_report"]

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #e3e3e3; text-align: right; }
th:first-child, td:first-child, td.text { text-align: left; }
td.up { color: #1a7f37; } td.down { color: #b42318; }
img { max-width: 100%; } .meta { font-size: 0.8em; color: #555; }
dt { font-weight: 600; margin-top: 0.6em; } dd { margin-left: 1.2em; }
"""


def render_report(
    comparison: Comparison,
    figures: Mapping[str, Figure | bytes],
    meta: Mapping[str, str],
    *,
    title: str = "Policy scenarios compared with the baseline",
) -> str:
    """The HTML text of the report.

    Parameters
    ----------
    comparison : Comparison
    figures : mapping of caption -> Figure or PNG bytes
        In display order.
    meta : mapping of str -> str
        Provenance, shown at the end and in ``<meta>`` tags.
    title : str

    Returns
    -------
    str
        A complete HTML document.
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title>",
        *(f'<meta name="{_e(k)}" content="{_e(v)}">' for k, v in meta.items()),
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p>Baseline: <strong>{_e(comparison.baseline)}</strong>. "
        f"{len(comparison.scenarios) - 1} other scenario(s), run as one batch where possible.</p>",
        "<h2>Scenarios</h2>",
        _scenarios(comparison),
        "<h2>Key performance indicators</h2>",
        _kpi_table(comparison),
    ]
    for caption, figure in figures.items():
        png = figure if isinstance(figure, bytes) else png_bytes(figure, meta)
        data = base64.b64encode(png).decode("ascii")
        parts.append(f"<h2>{_e(caption)}</h2>")
        parts.append(f'<img alt="{_e(caption)}" src="data:image/png;base64,{data}">')
    parts.append("<h2>Provenance</h2>")
    parts.append(_meta_table(meta))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _scenarios(comparison: Comparison) -> str:
    items = []
    for scenario in comparison.scenarios:
        changes = [f"{name} = {value:g}" for name, value in scenario.constants.items()]
        changes += [item.summary() for item in scenario.interventions]
        listed = "".join(f"<li>{_e(text)}</li>" for text in changes)
        items.append(
            f"<dt>{_e(scenario.name)}</dt><dd>{_e(scenario.description) or '(no description)'}"
            + (f"<ul>{listed}</ul>" if listed else "")
            + f'<div class="meta">{_e(str(scenario.source or ""))}; '
            f"hash {scenario.digest[:12]}</div></dd>"
        )
    return "<dl>" + "".join(items) + "</dl>"


def _kpi_table(comparison: Comparison) -> str:
    table = comparison.kpis
    scenarios = list(dict.fromkeys(table["scenario"]))
    head = "".join(f"<th>{_e(s)}</th>" for s in scenarios)
    rows = [f"<table><tr><th>KPI</th><th>units</th>{head}</tr>"]
    for kpi, group in table.groupby("kpi", sort=False):
        cells = []
        columns = ("scenario", "value", "absolute_delta", "relative_delta")
        for scenario, value, absolute, relative in zip(*(group[c] for c in columns), strict=True):
            if np.isnan(value):  # e.g. the baseline of a 'per' KPI
                cells.append("<td>&mdash;</td>")
            elif scenario == comparison.baseline or np.isnan(relative):
                cells.append(f"<td>{float(value):.6g}</td>")
            else:
                css = "up" if absolute > 0 else "down" if absolute < 0 else ""
                cells.append(
                    f'<td class="{css}">{float(value):.6g}<br><small>{float(relative):+.1%}'
                    "</small></td>"
                )
        units = _e(str(group["units"].iloc[0]))
        rows.append(
            f'<tr><td class="text">{_e(str(kpi))}</td><td>{units}</td>{"".join(cells)}</tr>'
        )
    rows.append("</table>")
    return "".join(rows)


def _meta_table(meta: Mapping[str, str]) -> str:
    rows = "".join(
        f'<tr><td class="text">{_e(k)}</td><td class="text">{_e(v)}</td></tr>'
        for k, v in meta.items()
    )
    return f'<table class="meta">{rows}</table>'


def _e(text: str) -> str:
    return html.escape(text, quote=True)
