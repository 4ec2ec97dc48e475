"""The Streamlit shell: the only part of cxdash that imports streamlit."""

from __future__ import annotations
