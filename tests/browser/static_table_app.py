"""A page with one static table of hostile cells, for test_static_table_browser.py."""

from __future__ import annotations

import polars as pl

from cxdash.ui import tables

tables.static_table(pl.DataFrame({
    "#": ["1", "2"],
    "Driver": ["![x](http://evil.example/pixel.png)", "[click](javascript:alert(1))"],
    "Root cause": ["www.evil.example **loud** <b>tag</b>", "$x^2$ :red[alarm] a@evil.example"],
}))  # fmt: skip
