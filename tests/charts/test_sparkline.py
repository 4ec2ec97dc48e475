"""The tiles' sparklines (cxdash.charts.sparkline): where each week's point goes, by hand."""

from __future__ import annotations

import base64
import re

from cxdash.charts import sparkline


def test_points_span_the_box_lowest_at_the_bottom() -> None:
    # 3 weeks over a 100-wide box: x = 0, 50, 100. Values 1..3 over the inner height 26
    # (30 less a 2-unit pad above and below): 1 → y 28 (bottom), 3 → y 2 (top), 2 → y 15.
    assert sparkline.points([1, 3, 2]) == "0.0,28.0 50.0,2.0 100.0,15.0"
    # Negative and fractional values, 5 weeks: x steps of 25; span 1.5, so 0.25 → 2 + 0.75 /
    # 1.5 × 26 = 15 and 0.5 → 2 + 0.5 / 1.5 × 26 = 10.67.
    assert sparkline.points([-0.5, 1.0, 0.25, -0.5, 0.5]) == (
        "0.0,28.0 25.0,2.0 50.0,15.0 75.0,28.0 100.0,10.7"
    )


def test_a_flat_series_is_a_line_through_the_middle() -> None:
    assert sparkline.points([0, 0]) == "0.0,15.0 100.0,15.0"
    assert sparkline.points([7.5, 7.5, 7.5]) == "0.0,15.0 50.0,15.0 100.0,15.0"


def test_the_image_holds_the_line_and_says_its_text_as_text() -> None:
    html = sparkline.img([1, 3, 2], 'Team "A" <b>&</b>, last 3 weeks')
    src = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert src is not None
    svg = base64.b64decode(src.group(1)).decode()
    assert '<polyline points="0.0,28.0 50.0,2.0 100.0,15.0"' in svg and "#1f6feb" in svg
    said = "Team &quot;A&quot; &lt;b&gt;&amp;&lt;/b&gt;, last 3 weeks"
    assert f'alt="{said}"' in html and f'title="{said}"' in html and "<b>" not in html
