"""Wall view: the contact centre's headline figures, what moved, the backlog and SLAs, and the
data's freshness, full screen, redrawing itself (`/wall?refresh=60&rotate=20`;
cxdash.ui.wall)."""

from __future__ import annotations

from cxdash.ui import view, wall

view.require_app()
wall.show()
