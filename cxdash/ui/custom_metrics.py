"""Custom metrics in the app: the file is checked once per version of it and of the store,
its valid metrics joined to the metric catalogue the view carries (`View.catalogue`), and its
problems shown on every page until fixed.

The check runs on the app's read-only store connection (cxdash.metrics.custom); a metric with
a problem is left out and the rest of the app works without it.
"""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from cxdash.metrics import custom
from cxdash.ui import data

_MARKDOWN = re.compile(r"([\\`*_\[\]<>$#|~])")
FileVersion = tuple[int, int, int] | None


def _md(text: str) -> str:
    """Text from the file shown as written: Markdown and LaTeX characters escaped."""
    return _MARKDOWN.sub(r"\\\1", text)


def _file_version(path: Path) -> FileVersion:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


@st.cache_resource(max_entries=4, show_spinner=False)
def _checked(
    path: str, explicit: bool, file_version: FileVersion, store_version: data.Version | None
) -> custom.LoadResult:
    """Checked once per process for each version of the file and the store (the key)."""
    with data.reading() as con:
        return custom.load(Path(path), con, info=data.info(), settings=data.settings(),
                           missing_ok=not explicit)  # fmt: skip


def load() -> custom.LoadResult:
    """The store's custom metrics, checked (once per version of the file and the store);
    `.catalogue` is the catalogue requests carry. On Spark none: custom metrics are checked
    on, and run by, DuckDB only."""
    if data.spark_lake() is not None:
        return custom.LoadResult(Path())
    path, explicit = custom.metrics_path(data.db_path())
    return _checked(str(path), explicit, _file_version(path), data.current_version())


def check() -> custom.LoadResult:
    """The store's custom metrics for this run; shows the file's problems, if any."""
    result = load()
    if result.problems:
        refused = result.refused()
        left_out = (
            f"left out until it is fixed: {', '.join(refused)}" if refused
            else "none of its metrics are shown until it is fixed"
        )  # fmt: skip
        lines = "\n".join(f"- {_md(str(p))}" for p in result.problems)
        st.error(
            f"**Custom metrics file {_md(str(result.path))}** has "
            f"{len(result.problems)} problem{'s' if len(result.problems) != 1 else ''}; "
            f"{_md(left_out)}.\n\n{lines}",
            icon=":material/error:",
        )
    return result
