"""What the pages show, as plain data without Streamlit: the view, the metric requests it
implies and which metrics each part of a page shows. The UI renders them; the store's
publisher computes the first page from the very same requests (`cxdash.first_view`)."""

from __future__ import annotations
