"""Figures as inline SVG, drawn by cxdash itself: the offline report's charts (issue 21).

The mailed report must stay small (plotly.js alone is 4.8 MB) and keep its charts where
scripts are blocked (a mail client, a locked-down browser), so each chart is drawn here, in
Python, as SVG markup put inline in the page: no script, no font file, no request, the same
bytes for the same figure. It draws the part of Plotly's figure format the report's charts use
— bars (vertical or horizontal, grouped, text outside the bar, asymmetric error bars), lines,
markers and their text, annotations in data or paper coordinates, category and linear axes
with Plotly's tick formats, a title and a legend — and refuses any other trace type
(ValueError), so a new kind of chart cannot silently draw wrong.

Every figure goes through `cxdash.charts.text.as_text` first, the one escaping path: its
strings arrive with `<`, `>` and `&` as entities and only the attribute-free tags our own titles
use (`<b>`, `<i>`, `<em>`, `<sup>`, `<sub>`, `<br>`), which become balanced tspans and lines
here. Each bar and point carries its hover text as an SVG `<title>`, shown as a tooltip.
Text is measured by an average glyph width (no font metrics without a browser): margins grow
to fit the labels, and the drawing widens its view box rather than cut a text off.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go

from cxdash.charts.text import as_text

EM = 0.56  # average glyph width of a system sans-serif, in ems (digits are ~0.55)
INK, MUTED, GRID, ZERO = "#2a3f5f", "#59636e", "#ebf0f8", "#c8d1dc"
DRAWN = ("bar", "scatter")

_FORMAT = re.compile(r"(,)?(?:\.(\d+))?([f%d])?")
_FIELD = re.compile(r"%\{(\w+)(?::([^}]*))?\}")
_TAG = re.compile(r"<(/?)(b|i|em|sup|sub)>|<br ?/?>", re.IGNORECASE)
_STYLE = {"b": 'font-weight="bold"', "i": 'font-style="italic"', "em": 'font-style="italic"',
          "sup": 'baseline-shift="super" font-size="70%"',
          "sub": 'baseline-shift="sub" font-size="70%"'}  # fmt: skip


def render(fig: go.Figure, *, width: int, chart_id: str) -> str:
    """The figure as one `<svg>` element `width` px wide (scaling down to its container)."""
    return _Chart(as_text(fig).to_plotly_json(), width, chart_id).svg()


# ---- numbers and text -----------------------------------------------------------------------
def number(value: float, spec: str = ",") -> str:
    """A number in the part of d3-format that our charts write: `,` `.1%` `.0%` `,.0f` `,`."""
    found = _FORMAT.fullmatch(spec or "")
    comma, digits, kind = found.groups() if found else (",", None, None)
    sep = "," if comma else ""
    if kind == "%":
        return f"{value * 100:{sep}.{int(digits or 0)}f}%"
    if kind in ("f", "d") or digits is not None:
        return f"{value:{sep}.{int(digits or 0)}f}"
    if float(value).is_integer():
        return f"{int(value):{sep}d}"
    return f"{value:{sep}.6g}"


def plain(text: str) -> str:
    """What an (as_text-escaped) chart string reads as: tags gone, entities back."""
    return html.unescape(_TAG.sub(lambda m: "" if m.group(2) else " ", text))


def text_width(text: str, size: float) -> float:
    return len(plain(text)) * size * EM


def _lines(text: str) -> list[str]:
    """Escaped chart text as SVG markup, one string per line; our few tags become tspans,
    balanced whatever the data held (a stray `</b>` is dropped, an open `<b>` closed)."""
    lines: list[str] = []
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    for m in _TAG.finditer(text):
        out.append(text[pos:m.start()])
        pos = m.end()
        closing, tag = m.group(1), (m.group(2) or "").lower()
        if not tag:  # <br>: close what is open, go on on the next line, reopen it there
            lines.append("".join(out) + "</tspan>" * len(stack))
            out = [f"<tspan {_STYLE[t]}>" for t in stack]
        elif not closing:
            stack.append(tag)
            out.append(f"<tspan {_STYLE[tag]}>")
        elif stack and stack[-1] == tag:
            stack.pop()
            out.append("</tspan>")
    out.append(text[pos:])
    lines.append("".join(out) + "</tspan>" * len(stack))
    return lines


def _hover(template: str, point: dict[str, Any]) -> str:
    """A hovertemplate filled for one point, as the plain text of an SVG <title>."""
    template = re.sub(r"<extra>.*?</extra>", "", template, flags=re.DOTALL)
    template = re.sub(r"<br ?/?>", "\n", template, flags=re.IGNORECASE)
    parts: list[str] = []
    pos = 0
    for m in _FIELD.finditer(template):
        parts.append(html.escape(plain(template[pos:m.start()]), quote=False))
        value = point.get(m.group(1))
        if isinstance(value, int | float) and not isinstance(value, bool):
            parts.append(number(value, m.group(2) or ","))
        elif value is not None:
            # a string from the figure: as_text escaped it and let our few tags back, which
            # a <title> cannot hold (an HTML parser would leave the SVG at a <b>)
            parts.append(html.escape(plain(str(value)), quote=False))
        pos = m.end()
    parts.append(html.escape(plain(template[pos:]), quote=False))
    return "".join(parts)


def _nice_step(span: float, count: float) -> float:
    raw = span / max(count, 1.0)
    power = 10.0 ** math.floor(math.log10(raw))
    for f in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= f * power:
            return f * power
    return 10 * power  # pragma: no cover - the loop always returns


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


# ---- axes -----------------------------------------------------------------------------------
@dataclass
class _Axis:
    """One axis: categories (first at the left or the bottom) or a linear range."""

    spec: dict[str, Any]
    horizontal: bool
    categories: list[str] = field(default_factory=list)
    low: float = 0.0
    high: float = 1.0
    start: float = 0.0  # pixel of `low` (or of the first band's edge)
    end: float = 1.0

    @property
    def visible(self) -> bool:
        return self.spec.get("visible", True) is not False

    @property
    def category(self) -> bool:
        return bool(self.categories)

    @property
    def band(self) -> float:
        return (self.end - self.start) / max(len(self.categories), 1)

    def at(self, value: Any) -> float:
        """The pixel of a value (a category's band centre)."""
        if self.category:
            i = self.categories.index(str(value)) if str(value) in self.categories else 0
            return self.start + (i + 0.5) * self.band
        span = (self.high - self.low) or 1.0
        return self.start + (float(value) - self.low) / span * (self.end - self.start)

    def fit(self, values: list[float], *, zero: bool) -> None:
        given = self.spec.get("range")
        if given and len(given) == 2 and None not in given:
            self.low, self.high = float(given[0]), float(given[1])
            return
        found = [v for v in values if v is not None and math.isfinite(v)]
        anchored = zero or self.spec.get("rangemode") == "tozero"
        if anchored:
            found.append(0.0)
        low, high = (min(found), max(found)) if found else (0.0, 1.0)
        pad = 0.05 * ((high - low) or abs(high) or 1.0)
        self.high = high + pad if high > 0 or not anchored else high
        self.low = low - pad if low < 0 or not anchored else low

    def ticks(self) -> list[tuple[float, str]]:
        if self.category:
            return [(self.at(c), c) for c in self.categories]
        length = abs(self.end - self.start)
        step = _nice_step(self.high - self.low, length / (90 if self.horizontal else 55))
        first = math.ceil(self.low / step - 1e-9)
        fmt = self.spec.get("tickformat") or ""
        if not fmt:
            digits = max(0, -math.floor(math.log10(step) + 1e-9))
            fmt = f",.{digits}f"
        out = []
        for k in range(first, first + 1000):
            value = k * step
            if value > self.high + 1e-9 * step:
                break
            out.append((self.at(value), number(round(value, 12), fmt)))
        return out


# ---- the chart ------------------------------------------------------------------------------
class _Chart:
    def __init__(self, spec: dict[str, Any], width: int, chart_id: str) -> None:
        self.data: list[dict[str, Any]] = spec.get("data", [])
        self.layout: dict[str, Any] = spec.get("layout", {})
        for trace in self.data:
            kind = trace.get("type", "scatter")
            if kind not in DRAWN:
                raise ValueError(f"cxdash.charts.svg draws {', '.join(DRAWN)} traces, not {kind}")
        self.id = chart_id
        self.width = float(width)
        self.height = float(self.layout.get("height") or 450)
        self.size = float(self.layout.get("font", {}).get("size") or 15)
        margin = self.layout.get("margin", {})
        self.left = float(margin.get("l", 80))
        self.right = float(margin.get("r", 80))
        self.top = float(margin.get("t", 100))
        self.bottom = float(margin.get("b", 80))
        self.out: list[str] = []
        self.min_x, self.max_x = 0.0, self.width
        self.x = _Axis(self.layout.get("xaxis", {}), horizontal=True)
        self.y = _Axis(self.layout.get("yaxis", {}), horizontal=False)
        self._axes()

    # -- layout --
    def _horizontal(self, trace: dict[str, Any]) -> bool:
        return trace.get("type") == "bar" and trace.get("orientation") == "h"

    def _axes(self) -> None:
        xs: list[Any] = []
        ys: list[Any] = []
        for trace in self.data:
            xs += list(trace.get("x") or [])
            ys += list(trace.get("y") or [])
        for axis, given in ((self.x, xs), (self.y, ys)):
            if axis.spec.get("type") == "category" or any(isinstance(v, str) for v in given):
                axis.categories = list(dict.fromkeys(str(v) for v in given))
        # category labels on the left get the room they need (at most 45 % of the width)
        tick = self._tick_size(self.y)
        if self.y.category and self.y.visible:
            need = max(text_width(c, tick) for c in self.y.categories) + 14
            self.left = max(self.left, min(need, self.width * 0.45))
        self.x.start, self.x.end = self.left, self.width - self.right
        self.y.start, self.y.end = self.height - self.bottom, self.top  # first category low
        bars = any(t.get("type") == "bar" for t in self.data)
        for axis, key in ((self.x, "x"), (self.y, "y")):
            if axis.category:
                continue
            values: list[float] = []
            for trace in self.data:
                raw = [v for v in trace.get(key) or [] if isinstance(v, int | float)]
                values += raw
                error = trace.get(f"error_{key}") or {}
                plus = error.get("array") or []
                minus = error.get("arrayminus") or plus
                values += [v + e for v, e in zip(raw, plus, strict=False)]
                values += [v - e for v, e in zip(raw, minus, strict=False)]
            axis.fit(values, zero=bars)

    def _tick_size(self, axis: _Axis) -> float:
        return float(axis.spec.get("tickfont", {}).get("size") or self.size - 2)

    def _grouped(self) -> list[dict[str, Any]]:
        return [t for t in self.data if t.get("type") == "bar"]

    # -- drawing helpers --
    def _text(self, x: float, y: float, text: str, *, size: float, anchor: str = "start",
              fill: str = INK, middle: bool = True, extra: str = "",
              tip: str = "") -> None:  # fmt: skip
        lines = _lines(text)
        width = max(text_width(line, size) for line in lines)
        left = x - {"start": 0.0, "middle": width / 2, "end": width}[anchor]
        self.min_x = min(self.min_x, left - 2)
        self.max_x = max(self.max_x, left + width + 2)
        first = y - (len(lines) - 1) * size * 0.6 if middle else y
        shift = ' dy=".35em"' if middle else ""
        spans = "".join(f'<tspan x="{_f(x)}" y="{_f(first + i * size * 1.2)}"{shift}>{line}'
                        "</tspan>" for i, line in enumerate(lines))  # fmt: skip
        self.out.append(f'<text font-size="{_f(size)}" text-anchor="{anchor}" fill="{fill}"'
                        f"{extra}>{tip}{spans}</text>")  # fmt: skip

    def _tip(self, trace: dict[str, Any], i: int) -> str:
        template = trace.get("hovertemplate")
        if not template or trace.get("hoverinfo") == "skip":
            return ""
        point = {key: _pick(trace.get(key), i) for key in ("x", "y", "text", "customdata")}
        return f"<title>{_hover(str(_pick(template, i)), point)}</title>"

    # -- pieces --
    def _title(self) -> None:
        title = self.layout.get("title", {})
        text = title.get("text") if isinstance(title, dict) else None
        if text:
            size = float(title.get("font", {}).get("size") or self.size * 1.2)
            self._text(4, self.top / 2, text, size=size, extra=' font-weight="600"')

    def _grid(self) -> None:
        x0, x1, y0, y1 = self.x.start, self.x.end, self.y.end, self.y.start
        if self.x.visible and not self.x.category:
            for px, _ in self.x.ticks():
                colour = ZERO if abs(px - self.x.at(0.0)) < 0.5 else GRID
                self.out.append(f'<line x1="{_f(px)}" y1="{_f(y0)}" x2="{_f(px)}" '
                                f'y2="{_f(y1)}" stroke="{colour}"/>')  # fmt: skip
        if self.y.visible and not self.y.category:
            for py, _ in self.y.ticks():
                colour = ZERO if abs(py - self.y.at(0.0)) < 0.5 else GRID
                self.out.append(f'<line x1="{_f(x0)}" y1="{_f(py)}" x2="{_f(x1)}" '
                                f'y2="{_f(py)}" stroke="{colour}"/>')  # fmt: skip

    def _axis_labels(self) -> None:
        bottom = self.y.start
        if self.x.visible:
            size = self._tick_size(self.x)
            ticks = self.x.ticks()
            step = 1
            if self.x.category and ticks:
                widest = max(text_width(label, size) for _, label in ticks) + 10
                step = max(1, math.ceil(widest / self.x.band))
            last = len(ticks) - 1
            for i, (px, label) in enumerate(ticks):
                if (last - i) % step == 0:  # the newest always labelled
                    self._text(px, bottom + size * 0.5 + 10, label, size=size,
                               anchor="middle", fill=MUTED)  # fmt: skip
            title = self.x.spec.get("title", {}).get("text")
            if title:
                self._text((self.x.start + self.x.end) / 2, self.height - 14, title,
                           size=self.size - 1, anchor="middle")  # fmt: skip
        if self.y.visible:
            size = self._tick_size(self.y)
            room = self.left - 14
            for py, label in self.y.ticks():
                shown, tip = label, ""
                if text_width(label, size) > room:  # cut; the whole label as a tooltip
                    keep = max(3, int(room / (size * EM)) - 1)
                    shown = html.escape(plain(label)[:keep], quote=False) + "…"
                    tip = f"<title>{html.escape(plain(label), quote=False)}</title>"
                self._text(self.left - 8, py, shown, size=size, anchor="end", fill=MUTED,
                           tip=tip)  # fmt: skip
            title = self.y.spec.get("title", {}).get("text")
            if title:
                middle = (self.y.start + self.y.end) / 2
                self.out.append(
                    f'<text font-size="{_f(self.size - 1)}" text-anchor="middle" fill="{INK}" '
                    f'transform="translate({_f(self.size * 0.9)} {_f(middle)}) rotate(-90)">'
                    f"{''.join(_lines(title))}</text>"
                )

    def _bars(self) -> None:
        bars = self._grouped()
        if not bars:
            return
        grouped = self.layout.get("barmode", "group") == "group"
        gap = float(self.layout.get("bargap") or 0.2)
        for k, trace in enumerate(bars):
            horizontal = self._horizontal(trace)
            cat_axis, val_axis = (self.y, self.x) if horizontal else (self.x, self.y)
            cats = trace.get("y" if horizontal else "x") or []
            values = trace.get("x" if horizontal else "y") or []
            band = abs(cat_axis.band) * (1 - gap)
            thick = band / len(bars) if grouped else band
            offset = (k - (len(bars) - 1) / 2) * thick if grouped else 0.0
            direction = -1.0 if horizontal else 1.0  # y pixels grow downwards
            colour = trace.get("marker", {}).get("color", "#1f6feb")
            error = trace.get("error_x" if horizontal else "error_y") or {}
            texts = trace.get("text")
            for i, (cat, value) in enumerate(zip(cats, values, strict=False)):
                if value is None:
                    continue
                centre = cat_axis.at(cat) + offset * direction
                base, tip = val_axis.at(0.0 if val_axis.low <= 0 else val_axis.low), \
                    val_axis.at(value)
                fill = _pick(colour, i)
                lo, hi = min(base, tip), max(base, tip)
                if horizontal:
                    rect = (lo, centre - thick / 2, hi - lo, thick)
                else:
                    rect = (centre - thick / 2, lo, thick, hi - lo)
                self.out.append(
                    f'<rect x="{_f(rect[0])}" y="{_f(rect[1])}" width="{_f(rect[2])}" '
                    f'height="{_f(rect[3])}" fill="{fill}">{self._tip(trace, i)}</rect>'
                )
                if error:
                    self._error(error, i, value, centre, val_axis, horizontal)
                text = _pick(texts, i) if texts is not None else None
                if text:
                    size = float(trace.get("textfont", {}).get("size") or self.size)
                    if horizontal:
                        self._text(tip + 5, centre, str(text), size=size)
                    else:
                        self._text(centre, tip - size * 0.6 - 3, str(text), size=size,
                                   anchor="middle")  # fmt: skip

    def _error(self, error: dict[str, Any], i: int, value: float, centre: float, axis: _Axis,
               horizontal: bool) -> None:  # fmt: skip
        plus = _pick(error.get("array") or [0.0], i) or 0.0
        minus = _pick(error.get("arrayminus") or error.get("array") or [0.0], i) or 0.0
        colour = error.get("color", INK)
        a, b = axis.at(value - minus), axis.at(value + plus)
        cap = float(error.get("width") or 5)
        if horizontal:
            path = (f"M{_f(a)} {_f(centre)}H{_f(b)}M{_f(a)} {_f(centre - cap)}V{_f(centre + cap)}"
                    f"M{_f(b)} {_f(centre - cap)}V{_f(centre + cap)}")  # fmt: skip
        else:
            path = (f"M{_f(centre)} {_f(a)}V{_f(b)}M{_f(centre - cap)} {_f(a)}H{_f(centre + cap)}"
                    f"M{_f(centre - cap)} {_f(b)}H{_f(centre + cap)}")  # fmt: skip
        self.out.append(f'<path d="{path}" stroke="{colour}" stroke-width="2" fill="none"/>')

    def _scatters(self) -> None:
        for trace in self.data:
            if trace.get("type", "scatter") != "scatter":
                continue
            mode = trace.get("mode") or "lines+markers"
            points = [(self.x.at(x), self.y.at(y), i) for i, (x, y)
                      in enumerate(zip(trace.get("x") or [], trace.get("y") or [], strict=False))
                      if x is not None and y is not None]  # fmt: skip
            line = trace.get("line", {})
            if "lines" in mode and len(points) > 1:
                d = "M" + "L".join(f"{_f(px)} {_f(py)}" for px, py, _ in points)
                self.out.append(f'<path d="{d}" fill="none" stroke="{line.get("color", INK)}" '
                                f'stroke-width="{_f(float(line.get("width", 2)))}" '
                                'stroke-linejoin="round"/>')  # fmt: skip
            marker = trace.get("marker", {})
            radius = float(_pick(marker.get("size", 6), 0)) / 2
            for px, py, i in points:
                if "markers" in mode:
                    fill = _pick(marker.get("color", line.get("color", INK)), i)
                    self.out.append(f'<circle cx="{_f(px)}" cy="{_f(py)}" r="{_f(radius)}" '
                                    f'fill="{fill}">{self._tip(trace, i)}</circle>')  # fmt: skip
                text = _pick(trace.get("text"), i)
                if "text" in mode and text:
                    self._point_text(px, py, str(text), radius, trace)

    def _point_text(self, px: float, py: float, text: str, radius: float,
                    trace: dict[str, Any]) -> None:  # fmt: skip
        where = str(trace.get("textposition") or "middle center").split()
        vertical, horizontal = (where[0], where[1]) if len(where) == 2 else ("middle", "center")
        size = float(trace.get("textfont", {}).get("size") or self.size)
        y = {"top": py - radius - size * 0.6 - 2, "bottom": py + radius + size * 0.6 + 2}.get(
            vertical, py)
        x = {"left": px - radius - 4, "right": px + radius + 4}.get(horizontal, px)
        anchor = {"left": "end", "right": "start"}.get(horizontal, "middle")
        self._text(x, y, text, size=size, anchor=anchor)

    def _annotations(self) -> None:
        for note in self.layout.get("annotations") or []:
            text = note.get("text")
            if not text:
                continue
            if note.get("xref") == "paper":
                x = self.x.start + float(note.get("x", 0.5)) * (self.x.end - self.x.start)
            else:
                x = self.x.at(note.get("x", 0))
            if note.get("yref") == "paper":
                y = self.y.start + float(note.get("y", 0.5)) * (self.y.end - self.y.start)
            else:
                y = self.y.at(note.get("y", 0))
            anchor = {"left": "start", "right": "end"}.get(note.get("xanchor", ""), "middle")
            size = float(note.get("font", {}).get("size") or self.size)
            self._text(x, y, str(text), size=size, anchor=anchor)

    def _legend(self) -> None:
        shown = [t for t in self.data if t.get("name") and t.get("showlegend",
                                                                 len(self.data) > 1)]
        if not shown or self.layout.get("showlegend") is False:
            return
        if "reversed" in str(self.layout.get("legend", {}).get("traceorder", "")):
            shown.reverse()
        size = self.size - 2
        x = self.width - self.right
        y = self.top - size * 0.9
        for trace in reversed(shown):  # laid out from the right edge leftwards
            name = str(trace["name"])
            x -= text_width(name, size)
            self._text(x, y, name, size=size)
            x -= size + 6
            colour = _pick(trace.get("marker", {}).get("color")
                           or trace.get("line", {}).get("color", INK), 0)  # fmt: skip
            self.out.append(f'<rect x="{_f(x)}" y="{_f(y - size / 2)}" width="{_f(size)}" '
                            f'height="{_f(size)}" rx="2" fill="{colour}"/>')  # fmt: skip
            x -= 18

    def svg(self) -> str:
        self._title()
        self._grid()
        self._bars()
        self._scatters()
        self._annotations()
        self._axis_labels()
        self._legend()
        title = self.layout.get("title", {})
        label = plain(title.get("text", "") if isinstance(title, dict) else "") or "chart"
        left, width = min(0.0, self.min_x), max(self.width, self.max_x) - min(0.0, self.min_x)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{self.id}" role="img" '
            f'aria-label="{html.escape(label, quote=True)}" width="{_f(width)}" '
            f'height="{_f(self.height)}" viewBox="{_f(left)} 0 {_f(width)} {_f(self.height)}" '
            'font-family="system-ui, -apple-system, \'Segoe UI\', Roboto, Arial, sans-serif">'
            f'<rect x="{_f(left)}" y="0" width="{_f(width)}" height="{_f(self.height)}" '
            f'fill="#fff"/>{"".join(self.out)}</svg>'
        )


def _pick(value: Any, i: int) -> Any:
    """A per-point attribute: the i-th of a list, or the one value for all."""
    if isinstance(value, list | tuple):
        return value[i] if i < len(value) else None
    return value
