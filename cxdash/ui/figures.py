"""Every chart on a page goes through `show`: its text drawn as text (`cxdash.charts.text`),
Streamlit's theme off so our own look holds. Selection events give back the values as the data
has them (`cxdash.ui.panels.selection_values` undoes the escaping)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from cxdash.charts.text import as_text


def show(fig: go.Figure, *, where: Any = None, **kwargs: Any) -> Any:
    """`st.plotly_chart` (or `where.plotly_chart`, for a column) of the figure, made safe."""
    return (where or st).plotly_chart(as_text(fig), **kwargs)
