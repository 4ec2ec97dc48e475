"""The first page, computed when the data changes and kept beside the store.

Nearly every visit opens on the Scoreboard's default view: the last 28 days, no filters. At
10M contacts its reads — every tile now and before, the weekly sparklines, the drivers that
moved, the filters' values — take about 2.5 s of CPU, which on a small server compete with the
browser drawing that very page right after a start. So every new version of the store is
published (`cxdash.publish`: imports, `cxdash demo`, register, catalog and target edits, a
restore) with them computed and saved here, and the app looks here before it computes one of
them (`cxdash.ui.data`). The server saves them too when it had
to compute them itself (`cxdash.ui.serve`: a store written by an older cxdash, say).

Exact by construction, like a cache and unlike a rollup: an entry answers only the very same
read (kind and request, custom metrics' definitions included) of the very same version of the
store (inode, modification time, size: every write makes a new one) computed by the very same
code (a digest of cxdash's source and the DuckDB and Polars versions). Anything else is
computed live. tests/test_first_view.py checks saved equals live.

Kept only for stores large enough to need it (`worth_keeping`): the reads cost about 0.2 s
whatever the size up to a few hundred thousand contacts (query planning, not data), and 0.36 s
at 1M, 0.65 s at 3M, 1.4 s at 10M. Below `MIN_CONTACTS` a snapshot would only move those
0.2 s from the first visit to every write (more than half of a small import's time).

The file is JSON, with Arrow IPC for data frames: reading it runs no code (no pickle).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from cxdash import settings as settings_mod
from cxdash import store
from cxdash.metrics import custom, runner
from cxdash.metrics.catalogue import BUILTIN, Catalogue
from cxdash.metrics.dimensions import distinct_values
from cxdash.metrics.runner import MetricValue
from cxdash.views import landing, view_model

FORMAT = 1
Version = tuple[int, int, int]
Read = tuple[str, Any]  # (kind, request): "compare"/"compute" a MetricRequest, "dims" a tuple


MIN_CONTACTS = 500_000
MIN_CONTACTS_ENV = "CXDASH_FIRST_VIEW_MIN_CONTACTS"  # another size (0: always) for tests


def worth_keeping(contacts: int) -> bool:
    """Whether a store of this many contacts is worth a saved first view."""
    text = os.environ.get(MIN_CONTACTS_ENV, "").strip()
    least = int(text) if text.isdigit() else MIN_CONTACTS
    return contacts > 0 and contacts >= least


def snapshot_path(store_path: Path) -> Path:
    return store_path.with_name(f".{store_path.name}.first-view.json")


@functools.cache
def code_digest() -> str:
    """Changes with any of cxdash's source, DuckDB or Polars: results of other code never
    answer."""
    digest = hashlib.sha256(f"{FORMAT} {duckdb.__version__} {pl.__version__}".encode())
    package = Path(__file__).parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def entry_key(kind: str, request: Any) -> str:
    return f"{kind}|{request!r}|{getattr(request, 'definitions', '')}"


def reads(first: dt.date, last: dt.date, catalogue: Catalogue = BUILTIN) -> list[Read]:
    """What the first page asks for, in the parts the app caches it in, with the metric
    catalogue the app's requests carry."""
    default = landing.scoreboard(view_model.default_view(first, last, catalogue))
    compare = [("compare", part) for part in default.values.cache_parts()]
    frames = (default.weekly, default.drivers_now, default.drivers_before)
    return [("dims", view_model.FILTER_DIMS), *compare, *(("compute", r) for r in frames)]


def compute(con: duckdb.DuckDBPyConnection, store_path: Path) -> dict[str, Any]:
    """Every read of the first page, computed on `con` (the store that will be at
    `store_path`) as the app computes it, with the custom metrics the app would load."""
    extent = store.contact_days(con)
    if extent is None:
        return {}
    info, settings = store.inspect(con), settings_mod.load(con)
    path, explicit = custom.metrics_path(store_path)
    checked = custom.load(path, con, info=info, settings=settings, missing_ok=not explicit)
    out: dict[str, Any] = {}
    for kind, request in reads(*extent, checked.catalogue):
        if kind == "dims":
            value: Any = distinct_values(con, request)
        elif kind == "compare":
            value = runner.compare(con, request, info, settings)
        else:
            value = runner.compute(con, request, info, settings)
        out[entry_key(kind, request)] = value
    return out


def prepare(new_file: Path, store_path: Path) -> None:
    """Compute and save the first view of `new_file`, the finished next version of the store
    at `store_path`, before it is swapped in (a rename keeps inode, time and size: the key),
    when it is `worth_keeping`. Never fails the write: without a snapshot the app computes
    live, as before."""
    try:
        version = store.store_version(new_file)
        # Straight to the file, not through `connect_read`'s private link: no process has it
        # open, and a kill then leaves no link beside the store.
        con = duckdb.connect(str(new_file), read_only=True, config=store.READ_CONFIG)
        try:
            contacts = con.execute("SELECT count(*) FROM contacts").fetchall()[0][0]
            entries = compute(con, store_path) if worth_keeping(contacts) else {}
        finally:
            con.close()
        if entries:
            save(store_path, version, entries, mode=new_file.stat().st_mode)
    except Exception:  # a speed-up only: the write itself has succeeded
        return


def save(
    store_path: Path, version: Version, entries: Mapping[str, Any], mode: int | None = None
) -> None:
    """Replace the snapshot beside `store_path` in one step (temporary file, then rename),
    readable by whoever may read the store (its permissions, or `mode`)."""
    body = {
        "format": FORMAT,
        "code": code_digest(),
        "version": list(version),
        "entries": {key: _encode(value) for key, value in entries.items()},
    }
    target = snapshot_path(store_path)
    # Named as the store's temporary files are, so the next writer clears one a kill left.
    prefix = f".{store_path.name}.tmp-{os.getpid()}-first-view-"
    fd, tmp = tempfile.mkstemp(prefix=prefix, dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(body, out)
        if mode is None and store_path.exists():
            mode = store_path.stat().st_mode
        os.chmod(tmp, (mode if mode is not None else 0o644) & 0o666)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def saved(store_path: Path, version: Version, kind: str, request: Any) -> Any | None:
    """The saved result of this read of this version of the store, or None."""
    encoded = _entries(store_path, version).get(entry_key(kind, request))
    try:
        return None if encoded is None else _decode(encoded, request)
    except Exception:  # a damaged or hand-edited file (Arrow, JSON, an unknown metric…)
        return None  # is only a miss: computed live


def has(store_path: Path, version: Version) -> bool:
    """Whether a snapshot of this version, by this code, is saved."""
    return bool(_entries(store_path, version))


def _entries(store_path: Path, version: Version) -> dict[str, Any]:
    try:
        stat = snapshot_path(store_path).stat()
    except OSError:
        return {}
    return _load(str(store_path), version, (stat.st_ino, stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=4)
def _load(store_path: str, version: Version, file_version: Version) -> dict[str, Any]:
    """The entries saved for `version` by this code; empty for another version, other code
    or a file that does not read. Read once per version of the file (its stat is the key)."""
    try:
        body = json.loads(snapshot_path(Path(store_path)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(body, dict) or body.get("format") != FORMAT \
            or body.get("code") != code_digest() or body.get("version") != list(version):
        return {}  # fmt: skip
    entries = body.get("entries")
    return entries if isinstance(entries, dict) else {}


def _encode(value: Any) -> dict[str, Any]:
    if isinstance(value, pl.DataFrame):
        buffer = io.BytesIO()
        value.write_ipc(buffer)
        return {"frame": base64.b64encode(buffer.getvalue()).decode("ascii")}
    if isinstance(value, list) and all(isinstance(v, MetricValue) for v in value):
        for v in value:
            for number in (v.value, v.previous):
                if number is not None and type(number) not in (int, float):
                    raise TypeError(f"{v.metric.id}: {type(number).__name__} does not save")
        return {"values": [[v.metric.id, v.value, v.previous] for v in value]}
    if isinstance(value, dict):
        return {"json": value}
    raise TypeError(f"{type(value).__name__} does not save")


def _decode(encoded: dict[str, Any], request: Any) -> Any:
    if "frame" in encoded:
        return pl.read_ipc(io.BytesIO(base64.b64decode(encoded["frame"])))
    if "values" in encoded:
        return [MetricValue(request.catalogue[m], value, previous)
                for m, value, previous in encoded["values"]]  # fmt: skip
    return encoded["json"]
