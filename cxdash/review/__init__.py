"""The weekly review: one ISO week's agenda for a shared screen, and the same as one HTML file.

`agenda` assembles each screen's data (no Streamlit), the page in `pages/weekly_review.py` and
`report` (behind `cxdash report`) both render it, so the room and the mailed file agree.
"""

from __future__ import annotations
