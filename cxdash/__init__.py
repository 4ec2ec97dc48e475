"""cxdash: offense/defense customer-experience analytics on DuckDB."""

from __future__ import annotations

__version__ = "0.1.0"
