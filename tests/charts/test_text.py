"""Chart text as text: Plotly's tags in data (links, styled spans that fetch) are drawn as
characters; our own templates and attribute-free formatting tags are kept."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest

from cxdash.charts.text import as_text, plain

EVIL = "203.0.113.9"
PAYLOADS = [
    f'<a href="http://{EVIL}/a">click</a>',
    f"<A HREF='//{EVIL}/b' target=_blank>B</A>",
    f'<span style="fill:url(http://{EVIL}/s)">styled</span>',
    f"<SPAN style='font-family:url(//{EVIL}/f)'>",
    f'<br style="background:url(http://{EVIL}/br)">',
    "<b onmouseover=alert(1)>bold</b>",
    f"<img src=http://{EVIL}/i.png>",
    f"<a\thref=http://{EVIL}/t>tab</a>",
]
DANGEROUS = ("<a", "<span", "<img", "<br ", "<b ", "<br\t")


def _strings(value: object, key: str = "") -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(key, value)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(v, k)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v, key)]
    return []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_plotly_markup_in_data_is_drawn_as_characters(payload: str) -> None:
    fig = go.Figure(go.Bar(x=[payload, "Refund"], y=[3, 1], text=[payload, "ok"],
                           customdata=[[payload], ["x"]], name=payload,
                           hovertemplate="%{x}<br>%{customdata[0]}<extra></extra>"))  # fmt: skip
    fig.update_layout(title={"text": f"<b>Contacts</b> for {payload}"},
                      legend={"title": {"text": payload}})  # fmt: skip
    fig.add_annotation(text=payload, x=0, y=0)
    fig.update_xaxes(ticktext=[payload], tickvals=[0])
    out = as_text(fig).to_plotly_json()
    for key, text in _strings(out):
        if key.endswith("template"):
            continue
        low = text.lower()
        assert not any(tag in low for tag in DANGEROUS), (key, text)
    data = out["data"][0]
    assert data["x"][0] == plain(payload) and data["x"][0].startswith("&lt;")
    # ours kept: the hover template's tags and the title's bold
    assert data["hovertemplate"] == "%{x}<br>%{customdata[0]}<extra></extra>"
    assert out["layout"]["title"]["text"].startswith("<b>Contacts</b> for &lt;")


def test_plain_keeps_only_attribute_free_formatting() -> None:
    ours = "R&D <b>up</b> 2<sup>nd</sup><br>next"
    assert plain(ours) == "R&amp;D <b>up</b> 2<sup>nd</sup><br>next"
    assert plain("a &lt; b") == "a &amp;lt; b"  # a literal entity stays literal
    assert plain(f'<a href="http://{EVIL}">x</a>') == f'&lt;a href="http://{EVIL}"&gt;x&lt;/a&gt;'


def test_numbers_dates_and_arrays_pass_unchanged() -> None:
    import datetime as dt

    import numpy as np

    fig = go.Figure(go.Scatter(x=[dt.date(2026, 5, 4), dt.date(2026, 5, 11)],
                               y=np.array([1.5, 2.0]), text=np.array(["<a>", "b"], dtype=object)))
    out = as_text(fig)
    assert out.to_plotly_json()["data"][0]["y"] == fig.to_plotly_json()["data"][0]["y"]
    assert list(out.data[0].text) == ["&lt;a&gt;", "b"]
    assert json.loads(out.to_json())["data"][0]["x"] == ["2026-05-04", "2026-05-11"]
