"""Horizontal bar charts as inline SVG: no script, no CDN, readable offline and in print.

A chart is rows of labelled bars; a bar is one or more parts stacked (an
image's base and what the build added above it). Every part carries a
<title> (its exact value on hover) and data-value for tests.
"""

from __future__ import annotations

from html import escape

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948")
BAR_W, VALUE_W, ROW_H, TOP = 360, 220, 24, 34
CHAR_W = 7  # about the width of a 12 px system-ui character

Part = tuple[str, float]  # (series name, value)


def stacked(chart_id: str, title: str, rows: list[tuple[str, list[Part]]], unit: str) -> str:
    if not rows:
        return f'<p class="empty" id="{escape(chart_id)}">{escape(title)}: no data yet.</p>'
    series = list(dict.fromkeys(name for _, parts in rows for name, _ in parts))
    colour = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(series)}
    biggest = max(sum(v for _, v in parts) for _, parts in rows) or 1.0
    label_w = 16 + CHAR_W * max(len(label) for label, _ in rows)
    width = label_w + BAR_W + VALUE_W
    height = TOP + ROW_H * len(rows) + 8
    out = [f'<svg id="{escape(chart_id)}" class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
           f'<text x="0" y="14" class="title">{escape(title)}</text>']
    x = label_w
    for name in series:  # the legend
        out.append(f'<rect x="{x}" y="20" width="10" height="10" fill="{colour[name]}"/>'
                   f'<text x="{x + 14}" y="29" class="legend">{escape(name)}</text>')
        x += 22 + 7 * len(name)
    for index, (label, parts) in enumerate(rows):
        y = TOP + index * ROW_H
        out.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" class="label">{escape(label)}</text>')
        x = float(label_w)
        for name, value in parts:
            w = max(BAR_W * value / biggest, 1.0)
            out.append(f'<rect class="bar" x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{ROW_H - 8}" '
                       f'fill="{colour[name]}" data-value="{value:g}"><title>{escape(label)}: {escape(name)} '
                       f'{value:.2f} {escape(unit)}</title></rect>')
            x += w
        total = sum(v for _, v in parts)
        # A stacked bar names its last part too: what the build added is the figure that moves.
        extra = f" (+{parts[-1][1]:.2f} {escape(parts[-1][0])})" if len(parts) > 1 else ""
        out.append(f'<text x="{x + 6:.1f}" y="{y + 15}" class="value">{total:.2f} {escape(unit)}{extra}</text>')
    out.append("</svg>")
    return "\n".join(out)
