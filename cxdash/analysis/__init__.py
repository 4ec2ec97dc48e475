"""Analyses beyond single metrics — movers, cohorts, funnels, distributions, drill-down.

Each builds on the metric engine's period fragment so it filters exactly as the metrics do.
"""

from __future__ import annotations
