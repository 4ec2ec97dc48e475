"""Plotly figure builders: data in (Polars), figure out. No Streamlit, so they are testable."""

from __future__ import annotations
