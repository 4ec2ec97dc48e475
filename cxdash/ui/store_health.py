"""What the app shows when the store cannot be read: what is wrong, the way back, the backups.

`app.py` calls `show_problem` where `data.data_extent()` finds no data, and runs the pages
inside `on_damage`, so a query that finds a damaged block (a checksum that does not match, a
block the file lost) shows the same instead of DuckDB's exception. The words and the commands
are `cxdash.diagnosis`'s, the same the command line prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import streamlit as st

from cxdash import backup_restore, backups, diagnosis
from cxdash.ui.text import md


def show_problem(path: Path) -> bool:
    """Render what keeps the app from reading the store at `path`, with the commands that
    bring it back and the list of backups. True: the store is unusable and the caller should
    stop (the welcome page's demo button would overwrite it). False: nothing is wrong, or the
    store is only missing — then, if backups exist, a note on restoring one is shown and the
    welcome page (demo, import) should follow."""
    found = diagnosis.problem(path, thorough=True)  # the app found no data: damage inside?
    if found is None:
        return False
    listed = backup_restore.listed(path) if found.backups else []
    if found.kind == "missing":
        if listed:
            st.warning(f"There is no store at {md(path)}, but it has backups: restore one, or "
                       "start afresh below.", icon=":material/history:")  # fmt: skip
            _way_back(found, listed)
        return False
    st.title("The store cannot be read")
    st.error(md(found.what[0].upper() + found.what[1:]) + ".", icon=":material/error:")
    if found.kind == "locked":
        st.write("Another program has it open for writing. Close it, or wait for it to "
                 "finish, then reload this page.")  # fmt: skip
        return True
    _way_back(found, listed)
    return True


@contextmanager
def on_damage(path: Callable[[], Path | None]) -> Iterator[None]:
    """Run a page; if DuckDB finds the store at `path()` damaged while it runs, say what is
    wrong and the way back (the page's other errors are raised as they are). `path()` None:
    the app reads no DuckDB store (a lake on Spark)."""
    try:
        yield
    except duckdb.Error as exc:
        store = path()
        if store is None or diagnosis.damaged_message(store, exc) is None:
            raise
        if not show_problem(store):  # read again, it reads: say what the query found
            st.title("The store cannot be read")
            st.error(md(diagnosis.from_error(store, exc).message), icon=":material/error:")
        st.stop()


def _way_back(found: diagnosis.StoreProblem, listed: list[backup_restore.Listed]) -> None:
    newer = "open it with a newer cxdash, or " if found.kind == "version" else ""
    if found.good_backup is not None:
        how = ("restore the newest backup that reads, on the command line (the store it "
               "replaces is kept as a backup too), then reload this page")  # fmt: skip
    elif found.unreadable:
        how = ("rebuild it with demo data (the file is kept as a backup first), or move it "
               "aside and import your own — there is no backup of it")  # fmt: skip
    else:
        how = ("import your data into it (the contract tables are created), or write demo "
               "data (the file is kept as a backup first) — there is no backup of it")  # fmt: skip
    st.markdown(f"**The way back:** {newer}{how}.")
    st.code("\n".join(found.commands()), language="bash")
    if not listed:
        return
    st.markdown(f"**Backups** in {md(backups.backup_dir(found.path))}, newest first")
    st.dataframe(
        [{"file": item.backup.path.name,
          "taken": item.backup.taken,
          "size (MB)": round(item.backup.size / 1e6, 1),
          "kind": item.backup.kind,
          "contacts": item.contacts,
          "reads": "yes" if item.problem is None else item.problem}
         for item in listed],
        hide_index=True, width="stretch",
        column_config={"taken": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm:ss"),
                       "contacts": st.column_config.NumberColumn(format="localized")},
    )  # fmt: skip

