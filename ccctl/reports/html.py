"""A self-contained HTML KPI report: inline SVG charts drawn here, no script, nothing fetched.

The Content-Security-Policy forbids every network load, so the page renders the same
on an air-gapped laptop and leaks nothing when a client opens it.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

PALETTE = ("#2563eb", "#16a34a", "#ea580c", "#9333ea", "#0891b2", "#ca8a04", "#db2777", "#4b5563")
WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 48


def _scale(value: float, top: float) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return HEIGHT - BOTTOM - (value / top * plot if top else 0)


def _axes(labels: list[str], top: float, unit: str) -> list[str]:
    parts = []
    for step in range(5):
        value = top * step / 4
        y = _scale(value, top)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{value:g}{escape(unit)}</text>')
    every = max(1, len(labels) // 12)  # at most a dozen x labels stay readable
    for index, label in enumerate(labels):
        if index % every == 0:
            x = _x(index, len(labels)) + _band(len(labels)) / 2
            parts.append(f'<text class="tick" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                         f'{escape(label[-5:] if len(labels) > 7 else label)}</text>')
    return parts


def _band(count: int) -> float:
    return (WIDTH - LEFT - RIGHT) / max(count, 1)


def _x(index: int, count: int) -> float:
    return LEFT + index * _band(count)


def _nice_top(value: float) -> float:
    """Axis top: four grid steps of 1, 2, 2.5 or 5 × 10^k (so every tick is a round number)."""
    if value <= 0:
        return 4
    magnitude = 10 ** math.floor(math.log10(value / 4))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if 4 * m * magnitude >= value)
    return 4 * step


def _legend(names: list[str]) -> str:
    items = "".join(f'<span class="key"><i style="background:{PALETTE[i % len(PALETTE)]}"></i>{escape(n)}</span>'
                    for i, n in enumerate(names))
    return f'<div class="legend">{items}</div>'


def bar_chart(name: str, title: str, labels: list[str], series: dict[str, list[float | None]],
              unit: str = "") -> str:
    """Stacked bars, one per label; ``series`` maps a legend name to one value per label."""
    totals = [sum(v[i] or 0 for v in series.values()) for i in range(len(labels))]
    top = _nice_top(max(totals, default=0))
    band = _band(len(labels))
    parts = _axes(labels, top, unit)
    for index, label in enumerate(labels):
        base = 0.0
        for colour, (serie, values) in enumerate(series.items()):
            value = values[index] or 0
            if not value:
                continue
            y1, y0 = _scale(base + value, top), _scale(base, top)
            parts.append(
                f'<rect class="bar" data-series="{escape(serie)}" x="{_x(index, len(labels)) + band * 0.15:.1f}" '
                f'y="{y1:.1f}" width="{band * 0.7:.1f}" height="{y0 - y1:.1f}" '
                f'fill="{PALETTE[colour % len(PALETTE)]}"><title>{escape(label)} · {escape(serie)}: '
                f'{value:g}{escape(unit)}</title></rect>')
            base += value
    return _figure(name, title, parts, list(series) if len(series) > 1 else [])


def line_chart(name: str, title: str, labels: list[str], series: dict[str, list[float | None]],
               unit: str = "", top: float | None = None) -> str:
    """One polyline per series; gaps (None) break nothing, they are skipped."""
    values = [v for serie in series.values() for v in serie if v is not None]
    top = top or _nice_top(max(values, default=0))
    band = _band(len(labels))
    parts = _axes(labels, top, unit)
    for colour, (serie, points) in enumerate(series.items()):
        coords = [(_x(i, len(labels)) + band / 2, _scale(v, top)) for i, v in enumerate(points) if v is not None]
        if not coords:
            continue
        colour_code = PALETTE[colour % len(PALETTE)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline class="line" data-series="{escape(serie)}" points="{path}" fill="none" '
                     f'stroke="{colour_code}" stroke-width="2"/>')
        parts += [f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour_code}"/>' for x, y in coords]
    return _figure(name, title, parts, list(series) if len(series) > 1 else [])


def _figure(name: str, title: str, parts: list[str], legend: list[str]) -> str:
    return (f'<figure class="chart" data-chart="{escape(name)}"><figcaption>{escape(title)}</figcaption>'
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
            f'height="{HEIGHT}" role="img" aria-label="{escape(title)}">{"".join(parts)}</svg>'
            f'{_legend(legend) if legend else ""}</figure>')


STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111827;max-width:1100px}
h1{font-size:1.4em;margin:0}.meta{color:#4b5563;margin:.2em 0 1.5em}
.cards{display:flex;flex-wrap:wrap;gap:.8em;margin-bottom:1.5em}
.card{border:1px solid #e5e7eb;border-radius:6px;padding:.6em 1em;min-width:8em}
.card b{display:block;font-size:1.4em}.chart{margin:0 0 1.5em}figcaption{font-weight:600;margin-bottom:.3em}
.grid{stroke:#e5e7eb}.tick{font-size:11px;fill:#4b5563}
.legend{display:flex;gap:1em;font-size:12px}.key i{display:inline-block;width:10px;height:10px;margin-right:4px}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #e5e7eb;padding:2px 6px;text-align:right}
th:first-child,td:first-child{text-align:left}
"""


def kpi_page(tenant_name: str, period_label: str, by: str, rows: list[dict[str, Any]], columns: list[str],
             locale: str | None = None) -> str:
    """The report page, its words in the language of the tenant's ``locale`` (ccctl.i18n)."""
    from ccctl.i18n import language, translator

    _ = translator(locale).gettext
    buckets = [r for r in rows if r["period"] != "total"]
    total = next(r for r in rows if r["period"] == "total")
    labels = [r["period"] for r in buckets]
    channels = [c for c in columns if c.startswith("ch_")]
    cards = [(_("Items"), total["items"]), (_("SLA met"), _pct(total["sla_pct"])),
             (_("Median first response"), _unit(total["first_response_median_min"], " min")),
             (_("Backlog now"), total["backlog"]), (_("First-contact resolution"), _pct(total["fcr_pct"])),
             (_("Call-back reach"), _pct(total["callback_reach_pct"])), (_("Deflection"), _pct(total["deflection_pct"]))]
    charts = [
        bar_chart("volumes", _("Items created per channel"), labels,
                  {c[3:]: [r[c] for r in buckets] for c in channels} or {_("items"): [r["items"] for r in buckets]}),
        line_chart("sla", _("SLA attainment (%)"), labels, {_("SLA met"): [r["sla_pct"] for r in buckets]},
                   unit="%", top=100),
        bar_chart("first-response", _("Median first response (minutes)"), labels,
                  {_("minutes"): [r["first_response_median_min"] for r in buckets]}),
        line_chart("backlog", _("Backlog at the end of each period (open items)"), labels,
                   {_("backlog"): [r["backlog"] for r in buckets]}),
    ]
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(_text(r.get(c)))}</td>" for c in columns) + "</tr>" for r in rows)
    card_html = "".join(f'<div class="card">{escape(k)}<b>{escape(str(v))}</b></div>' for k, v in cards)
    kpis, figures, generated = escape(_("KPIs")), escape(_("Figures")), escape(_("generated by ccctl report kpi"))
    by_text = {"day": _("by day"), "hour": _("by hour")}.get(by, by)
    return f"""<!doctype html>
<html lang="{language(locale)}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{kpis} · {escape(tenant_name)} · {escape(period_label)}</title><style>{STYLE}</style></head>
<body><h1>{kpis} · {escape(tenant_name)}</h1>
<p class="meta">{escape(period_label)}, {escape(by_text)} · {generated}</p>
<div class="cards">{card_html}</div>
{"".join(charts)}
<h2>{figures}</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
</body></html>
"""


def _pct(value) -> str:
    return "–" if value is None else f"{value}%"


def _unit(value, unit: str) -> str:
    return "–" if value is None else f"{value}{unit}"


def _text(value) -> str:
    return "" if value is None else str(value)
