from __future__ import annotations

from cxdash.cli import main

raise SystemExit(main())
