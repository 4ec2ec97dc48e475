"""The Data page's import section: upload a file, say what it holds, see its first rows and
the mapping (editable), check every row, then import all or nothing; and the import history.

The work is `cxdash.uploads` and the importer; this module holds widgets and the
per-session memory of checks (a rerun after an unrelated click must not re-read 200 MB).
"""

from __future__ import annotations

import hashlib
import threading
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import duckdb
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx
from streamlit.runtime.uploaded_file_manager import UploadedFile

from cxdash.importer.mapping import PRESETS, Mapping, MappingError
from cxdash.importer.read import ReadFailed
from cxdash.importer.results import Progress, RowsRejected
from cxdash.importer.run import IMPORTABLE, ImportFailed, ImportReport, import_file
from cxdash.importer.suggest import SuggestFailed, Suggestion, suggest
from cxdash.store import StoreError
from cxdash.ui import data
from cxdash.ui.text import md
from cxdash.uploads.check import (
    MAX_PROBLEMS,
    Check,
    first_lines,
    preview_table,
    problems_table,
    run_check,
    shown,
)
from cxdash.uploads.mapping_table import (
    NOT_MAPPED,
    edited_dict,
    mapping_dict,
    mapping_rows,
    settled,
    to_toml,
    unmapped_required,
)
from cxdash.uploads.progress import bar_fraction
from cxdash.uploads.upload import UPLOAD_TYPES, is_excel, safe_name, saved_upload, sheet_names

TABLES = {
    "contacts": "Contacts (tickets, chats, calls)",
    "orders": "Orders",
    "reasons": "Driver catalog (one row per reason)",
    "events": "Ticket events (an event log)",
    "messages": "Messages (a conversation log: chats, tweets, e-mails)",
    "root_causes": "Root-cause register (one row per cause)",
}
PRESET_LABELS = {
    "suggested": "Suggested from the file (names and values)",
    "automatic": "Automatic (matched by name)",
    "generic": "cxdash template",
    "zendesk": "Zendesk ticket export",
    "freshdesk": "Freshdesk ticket export",
}
MODES = {
    "upsert": "Add and update: rows with the same id are replaced, others kept",
    "replace": "Replace: empty the table first",
}
_CHECKS_KEPT = 6
T = TypeVar("T")
_PHASE_TEXT = {"checking": "checking every row", "writing": "writing",
               "refreshing": "refreshing derived columns",
               "saving": "saving the new version of the store"}  # fmt: skip


def section(*, history: bool = True) -> None:
    """The whole import flow; `history=False` where there is no store yet (welcome page)."""
    st.subheader("Import a file")
    refused = data.read_only()
    if refused:  # a lake on Spark: imports go to the DuckDB store it was exported from
        st.info(refused, icon=":material/lock:")
        return
    limit = st.get_option("server.maxUploadSize")
    round_ = st.session_state.setdefault("import_round", 0)
    upload = st.file_uploader(
        "CSV (also gzipped), Parquet or Excel (xlsx, xls, ods)", type=list(UPLOAD_TYPES),
        key=f"import_upload_{round_}",
        help="Nothing is written until you press Import; a failed import changes nothing.",
    )  # fmt: skip
    st.caption(f"Files up to {limit} MB. For bigger files run `cxdash import FILE` on the "
               "command line: it streams files of any size into the same store.")  # fmt: skip
    if upload is None:
        done = st.session_state.get("import_done")
        if done:
            st.success(done, icon=":material/check_circle:")
        if st.session_state.pop("import_toast", False):  # the page may be scrolled far below
            st.toast(done, icon=":material/check_circle:")
    else:
        st.session_state.pop("import_done", None)
        _review(upload)
    if history:
        st.subheader("Import history")
        _history()


def _folder() -> Path:
    """Uploads are copied beside the store: same disk, and not into a small /tmp."""
    return data.db_path().parent


def _remember(key: tuple[object, ...], compute: Callable[[], T]) -> T:
    """A per-session memory of results about one upload (sheets, checks)."""
    memory: dict[tuple[object, ...], Any] = st.session_state.setdefault("import_checks", {})
    if key not in memory:
        memory[key] = compute()
        while len(memory) > _CHECKS_KEPT:
            memory.pop(next(iter(memory)))
    return cast(T, memory[key])


def _sheets(upload: UploadedFile) -> list[str]:
    def read() -> list[str]:
        with saved_upload(upload, upload.name, _folder()) as path:
            return sheet_names(path)

    return _remember((upload.file_id, upload.size, "sheets"), read)


def _check(
    upload: UploadedFile, table: str, mapping: Mapping | None, sheet: str | None, label: str
) -> Check:
    def run() -> Check:
        with (st.spinner(f"Reading and checking every row of {md(upload.name)}…"),
              saved_upload(upload, upload.name, _folder()) as path):  # fmt: skip
            return run_check(path, data.db_path(), table, mapping, sheet, upload.name)

    return _remember((upload.file_id, upload.size, table, sheet, label), run)


def _preset_table(name: str) -> str:
    return Mapping.preset(name).table or "contacts"


def _review(upload: UploadedFile) -> None:
    left, middle, right = st.columns(3)
    table = left.selectbox("The file holds", IMPORTABLE, format_func=TABLES.__getitem__,
                           key="import_table")  # fmt: skip
    suggestible = table in ("contacts", "events", "messages")
    presets = [*(["suggested"] if suggestible else []), "automatic",
               *(p for p in PRESETS if _preset_table(p) == table)]  # fmt: skip
    preset = middle.selectbox(
        "Column names", presets, format_func=PRESET_LABELS.__getitem__,
        key=f"import_preset_{table}",
        help="Suggested reads the values too (unique ids, date layouts, statuses that mean "
             "resolved — as `cxdash import FILE --suggest`); automatic matching knows common "
             "column names; a preset knows one help desk's export. Either way you can correct "
             "the mapping below.",
    )  # fmt: skip
    sheet = None
    if is_excel(upload.name):
        sheets = _sheets(upload)
        if len(sheets) > 1:
            sheet = right.selectbox("Sheet", sheets, key=f"import_sheet_{upload.file_id}")
        elif sheets:
            sheet = sheets[0]
    why: dict[str, str] = {}
    if preset == "suggested":
        base, why, failed = _suggested(upload, table, sheet)
        if failed:
            st.warning(md(failed) + " Matching by name instead.", icon=":material/help:")
        if "_kind" in why:
            why = dict(why)
            st.info(md(why.pop("_kind")), icon=":material/lightbulb:")
    else:
        base = None if preset == "automatic" else Mapping.preset(preset)
    first = _check(upload, table, base, sheet, preset)
    if first.preview is None:
        st.error(md(first.failure or "The file could not be read."), icon=":material/error:")
        return
    st.markdown("**First rows of the file**")
    st.dataframe(preview_table(first.preview), hide_index=True, placeholder="—")

    dropped = first.report.dropped if first.report else {}
    suggested = settled(base, table, first.columns, dropped)
    prefill = mapping_dict(suggested)
    mapping_data = _mapping_editor(upload, table, preset, sheet, first.columns, suggested, dropped,
                                   why)  # fmt: skip
    st.download_button(
        "Download this mapping (TOML)", icon=":material/download:", on_click="ignore",
        data=to_toml(mapping_data, header=_toml_header(upload.name)),
        file_name=f"{safe_name(upload.name).split('.')[0]}-mapping.toml",
        mime="application/toml",
        help="Reuse it from the command line: cxdash import FILE --mapping THIS.toml",
    )  # fmt: skip
    missing = unmapped_required(table, mapping_data)
    if missing:
        st.warning(f"Choose a source column for the required field(s) {', '.join(missing)} "
                   "in the mapping table.", icon=":material/arrow_upward:")  # fmt: skip
        return
    if mapping_data == prefill:
        check, mapping = first, base
    else:
        try:
            mapping = Mapping.parse(mapping_data, "the mapping table")
        except MappingError as exc:
            st.error(md(str(exc)), icon=":material/error:")
            return
        check = _check(upload, table, mapping, sheet, to_toml(mapping_data))
    report = _report(check)
    if report is not None:
        _import_controls(upload, table, mapping, sheet, report, check.problem_count)


def _toml_header(name: str) -> str:
    return (f"cxdash mapping for {safe_name(name)}, made on the Data page.\n"
            "Use it with: cxdash import FILE --mapping THIS.toml")  # fmt: skip


def _suggested(
    upload: UploadedFile, table: str, sheet: str | None
) -> tuple[Mapping | None, dict[str, str], str]:
    """The mapping `--suggest` proposes for the upload, why each field was chosen, and the
    reason when nothing could be proposed (the caller then matches by name)."""
    def run() -> tuple[Mapping | None, dict[str, str], str]:
        with saved_upload(upload, upload.name, _folder()) as path:
            try:
                try:  # what the file looks like, by itself
                    made: Suggestion | None = suggest(path, None, sheet)
                except SuggestFailed:
                    made = None
                kind = made.table if made is not None else table
                if made is None or kind != table:
                    made = suggest(path, table, sheet)
                mapping = Mapping.parse(tomllib.loads(made.text), "the suggestion")
                if kind != table:
                    made.reasons["_kind"] = (f"The file looks like {TABLES[kind].lower()}: "
                                             f"choose it under “The file holds” to import it "
                                             "as such.")  # fmt: skip
                return mapping, made.reasons, ""
            except (SuggestFailed, ReadFailed, MappingError) as exc:
                return None, {}, shown(str(exc), path, upload.name)

    return _remember((upload.file_id, upload.size, "suggest", table, sheet), run)


def _mapping_editor(
    upload: UploadedFile, table: str, preset: str, sheet: str | None, columns: tuple[str, ...],
    suggested: Mapping, dropped: dict[str, str], why: dict[str, str] | None = None,
) -> dict[str, Any]:
    st.markdown("**Mapping: which column fills each field**")
    st.caption("Prefilled by the suggestion, the automatic match or the preset (the last column "
               "says why); change any source column. "
               f"A field whose column is {NOT_MAPPED} is not imported.")  # fmt: skip
    options = [NOT_MAPPED, *columns]
    ident = hashlib.sha1(repr((upload.file_id, table, preset, sheet)).encode()).hexdigest()[:12]
    column = st.column_config
    rows = mapping_rows(table, suggested, dropped, why)
    edited = st.data_editor(
        rows, key=f"import_mapping_{ident}", height=38 + 35 * len(rows),  # every field, no scroll
        hide_index=True, width="stretch", disabled=("field", "required", "notes"),
        column_config={
            "field": column.TextColumn("field", width="medium", help="The cxdash field"),
            "required": column.CheckboxColumn("required"),
            "source column": column.SelectboxColumn(
                "source column", options=options, width="medium", required=True,
                help="The file's column that fills this field"),
            "second column": column.SelectboxColumn(
                "+ second column", options=options, required=True,
                help="Joined to the first with a space, e.g. a date and a time column"),
            "format": column.TextColumn(
                "date format", help="How dates are written, e.g. %d/%m/%Y %H:%M. Empty: ISO, "
                                    "or the day/month order the data shows"),
            "notes": column.TextColumn("also", width="large"),
        },
    )  # fmt: skip
    return edited_dict(mapping_dict(suggested), edited.to_dicts())


def _report(check: Check) -> ImportReport | None:
    st.markdown("**Check before importing**")
    if check.report is None:
        st.error(md(check.failure or "The file could not be checked."),
                 icon=":material/error:")  # fmt: skip
        return None
    report = check.report
    good = report.rows_read - report.rows_rejected
    with st.container(horizontal=True, wrap=True, gap="small"):
        st.metric("Rows read", f"{report.rows_read:,}", border=True)
        st.metric("Problems", f"{check.problem_count:,}", border=True)
        st.metric("Rows with problems", f"{report.rows_rejected:,}", border=True)
        st.metric("Rows ready to import", f"{good:,}", border=True)
    if check.problems is not None and check.problem_count:
        listed = len(check.problems)
        which = (f"The first {listed:,} of {check.problem_count:,} problems"
                 if check.problem_count > listed else "Every problem")  # fmt: skip
        st.caption(f"{which}, by row in the file (the header is row 1):")
        height = min(38 + 35 * listed, 320)
        st.dataframe(check.problems, hide_index=True, width="stretch", height=height,
                     placeholder="—")
    if report.unknown_columns:
        ignored = report.unknown_columns
        more = f" and {len(ignored) - 30:,} more" if len(ignored) > 30 else ""
        st.caption("Columns not imported (no field uses them): "
                   + md(", ".join(ignored[:30])) + more)  # fmt: skip
    for name, why in report.dropped.items():
        st.caption(f"Field {name} not imported: {md(why)}")
    for name, count in report.cleared.items():
        st.caption(f"{name} emptied on {count:,} rows where it was before created_at")
    return report


def _stored_rows(target: str) -> int:
    if data.current_version() is None:
        return 0
    try:
        info = data.info()
    except (StoreError, duckdb.Error):  # a store another tool wrote badly: the import says more
        return 0
    if target == "root_causes":
        return data.root_causes().height
    return {"contacts": info.contacts_rows, "orders": info.orders_rows,
            "reasons": info.reasons_rows}.get(target, 0)  # fmt: skip


def _import_controls(
    upload: UploadedFile, table: str, mapping: Mapping | None, sheet: str | None,
    report: ImportReport, problem_count: int,
) -> None:
    left, _ = st.columns([3, 2])
    mode = left.radio("Rows already in the store", list(MODES), format_func=MODES.__getitem__,
                      key="import_mode")  # fmt: skip
    if mode == "replace":
        stored = _stored_rows(report.target)
        left.warning(f"Replace deletes the {stored:,} rows in {report.target} before writing.",
                     icon=":material/warning:")  # fmt: skip
    skip = bool(problem_count) and left.checkbox(
        f"Skip the {report.rows_rejected:,} row{'' if report.rows_rejected == 1 else 's'} with "
        "problems and import the rest",
        key="import_skip",
    )  # fmt: skip
    blocked = bool(problem_count) and not skip
    rows = report.rows_read - (report.rows_rejected if skip else 0)
    unit = {"events": "events", "messages": "messages"}.get(table, "rows")
    if st.button(f"Import {rows:,} {unit} into {report.target}", type="primary",
                 disabled=blocked, key="import_go", icon=":material/upload:"):  # fmt: skip
        _run_import(upload, table, mapping, sheet, mode=mode, skip=skip)
    if blocked:
        st.caption("Fix the file or the mapping, or skip the rows with problems, to import.")


def _run_import(
    upload: UploadedFile, table: str, mapping: Mapping | None, sheet: str | None, *,
    mode: str, skip: bool,
) -> None:
    ctx = get_script_run_ctx()
    with st.status(f"Importing {md(upload.name)}…", expanded=True) as status:
        bar = st.progress(0.0, text="starting")

        def progress(step: Progress) -> None:
            # DuckDB's read percentage arrives from the importer's watcher thread.
            if ctx is not None and get_script_run_ctx(suppress_warning=True) is None:
                add_script_run_ctx(threading.current_thread(), ctx)
            bar.progress(bar_fraction(step), text=_progress_text(step))

        with saved_upload(upload, upload.name, _folder()) as path:
            try:
                done = import_file(path, data.db_path(), table, mapping, skip_bad_rows=skip,
                                   sheet=sheet, mode=mode, progress=progress,
                                   source_name=upload.name)  # fmt: skip
            except RowsRejected as exc:  # the check passed, the store changed since
                status.update(label="Nothing was imported", state="error")
                st.error(md(str(exc)), icon=":material/error:")
                listed = exc.problems[:MAX_PROBLEMS]
                st.dataframe(problems_table(listed, upload.name), hide_index=True,
                             width="stretch", placeholder="—")  # fmt: skip
                return
            except (ImportFailed, duckdb.Error, OSError) as exc:  # the store is as it was
                status.update(label="Nothing was imported", state="error")
                st.error(md(shown(first_lines(exc), path, upload.name)),
                         icon=":material/error:")  # fmt: skip
                return
        status.update(label="Imported", state="complete")
    st.session_state["import_done"] = _done_message(md(upload.name), done)
    st.session_state["import_toast"] = True
    st.session_state["import_round"] += 1  # a fresh uploader: the file is in the store now
    st.session_state.pop("import_checks", None)
    st.rerun()


def _progress_text(step: Progress) -> str:
    """The progress bar's words: "reading tickets.csv", "reading 45%", "checking every row"…."""
    if step.phase == "reading":
        if step.fraction is None:
            return f"reading {step.detail}"
        return f"reading {step.fraction * 100:.0f}%"
    return _PHASE_TEXT[step.phase]


def _done_message(name: str, done: ImportReport) -> str:
    how = "after emptying it" if done.mode == "replace" else "added or updated by id"
    if done.table in ("events", "messages"):
        text = (f"Imported {name}: {done.rows_read:,} {done.table} became "
                f"{done.rows_written:,} contacts ({how})")  # fmt: skip
    else:
        text = (f"Imported {name}: {done.rows_written:,} of {done.rows_read:,} rows written to "
                f"{done.target} ({how})")  # fmt: skip
    if done.rows_rejected:
        text += f"; {done.rows_rejected:,} rows with problems were skipped"
    if done.backup:  # a replace keeps the store as it was (cxdash.store.KeepReplaced)
        text += (f". The store as it was is kept as `{done.backup}`: `cxdash restore "
                 f"{done.backup} --db {data.db_path()}` brings it back")  # fmt: skip
    text += "."
    if done.notes:  # what linking a conversation log found
        text += " " + " ".join(f"{note[0].upper()}{note[1:]}." for note in done.notes)
    return text


def _history() -> None:
    if data.current_version() is None:
        st.caption("No imports yet.")
        return
    history = data.import_history()
    if history.is_empty():
        st.caption("No imports yet: the store was made by `cxdash demo` or another tool.")
        return
    column = st.column_config
    st.dataframe(
        history, hide_index=True, width="stretch", placeholder="—",
        column_config={
            "sha256": column.TextColumn("sha256", help="The first 12 characters of the file's "
                                                       "SHA-256: the same file twice shows twice"),
            "target": column.TextColumn("table"),
            "rows_read": column.NumberColumn("rows read", format="localized"),
            "rows_written": column.NumberColumn("written", format="localized"),
            "rows_rejected": column.NumberColumn("rejected", format="localized"),
            "imported_at": column.DatetimeColumn("imported", format="D MMM YYYY, HH:mm:ss"),
        },
    )  # fmt: skip
