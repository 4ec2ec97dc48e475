"""Start the dashboard: `python -m cxdash.ui.serve [streamlit options]`, as `dev.py start` does.

The same as `streamlit run app.py`, except that the server process imports the app's modules
(DuckDB, Polars, Plotly, the query layer: about a second) while it starts, instead of the first
viewer waiting for them, and then, once the server is up, reads what every first page needs
(the data's extent, the filter values, the store's catalogue and the Scoreboard's default view)
into the caches every session shares: from the file the store's writer saved beside it
(`cxdash.first_view`), or computed and then saved when there is none (for a store large
enough to keep one). It also puts cxdash's guards on Streamlit's server first
(`cxdash.ui.server_guard`: uploads, media and metrics only for a signed-in browser when a login
is configured, no outside request, no start with CORS or XSRF protection off). Otherwise the
same script, same options, same `.streamlit/config.toml`.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"


def _warm() -> None:
    """Fill the shared caches once the runtime exists. The app's cached functions are only
    imported then: decorated earlier, they would keep a cache of their own, not the runtime's."""
    import logging

    from streamlit.runtime import Runtime

    for _ in range(600):
        if Runtime.exists():
            break
        time.sleep(0.05)
    else:
        return
    # Streamlit warns on every cached call made outside a session; these are.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(
        logging.ERROR
    )
    from cxdash import first_view
    from cxdash.ui import custom_metrics, data

    try:
        if (extent := data.data_extent()) is None:
            return
        data.info()
        data.settings()
        catalogue = custom_metrics.load().catalogue  # the one a session's view carries
        # The first page's reads, as its page asks for them: from the snapshot the store's
        # writer saved, else computed now — and then saved for the next start.
        results = {first_view.entry_key(kind, request): data.first_view_read(kind, request)
                   for kind, request in first_view.reads(*extent, catalogue)}  # fmt: skip
        path, version = data.key()
        keep = first_view.worth_keeping(data.info().contacts_rows)
        if keep and not path.startswith(data.SPARK) and not first_view.has(Path(path), version):
            first_view.save(Path(path), version, results)
    except Exception:
        return


def main() -> None:
    import plotly.graph_objects  # noqa: F401
    import polars  # noqa: F401
    from streamlit.web import cli

    from cxdash.ui import server_guard

    # Uploads, media and metrics need a signed-in browser when a login is configured; no
    # outside request; no start with CORS or XSRF protection off (`cxdash.ui.server_guard`).
    server_guard.install()

    # The heavy libraries and the query layer, imported now rather than by the first viewer.
    import cxdash.analysis.movers
    import cxdash.charts
    import cxdash.metrics.runner  # noqa: F401

    threading.Thread(target=_warm, name="cxdash-warm-up", daemon=True).start()
    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
