"""The uploaded file on disk: a copy, under a harmless name, in a fresh private folder beside
the store, removed with everything in it when the work on it ends."""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO

from cxdash.importer.read import EXCEL_SUFFIXES

UPLOAD_TYPES = ("csv", "tsv", "txt", "gz", "parquet", "xlsx", "xlsm", "xls", "ods")
_NAME_MAX = 120


def safe_name(name: str) -> str:
    """The upload's own name reduced to one harmless path component that keeps its suffix
    (the reader picks CSV, Parquet or Excel by it): no folders, no leading dot, no control
    or shell-special characters. '../../x.csv' becomes 'x.csv'."""
    base = PureWindowsPath(PurePosixPath(name).name).name  # drop / and \\ folders alike
    base = re.sub(r"[^\w.\- ]", "_", base).strip(" .")
    base = re.sub(r"\.{2,}", ".", base) or "upload"
    if len(base) > _NAME_MAX:
        suffix = "".join(s for s in PurePosixPath(base).suffixes[-2:] if len(s) <= 10)
        base = base[: _NAME_MAX - len(suffix)].rstrip(" .") + suffix
    return base


@contextlib.contextmanager
def saved_upload(data: IO[bytes], name: str, folder: Path) -> Iterator[Path]:
    """The upload as a file in a fresh private folder under `folder` (the store's), removed
    with everything in it when the block ends, whatever happens inside."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".cxdash-upload-", dir=folder) as tmp:
        path = Path(tmp) / safe_name(name)
        data.seek(0)
        with path.open("wb") as handle:
            shutil.copyfileobj(data, handle, 1 << 20)
        yield path


def is_excel(name: str) -> bool:
    return name.lower().endswith(EXCEL_SUFFIXES)


def sheet_names(path: Path) -> list[str]:
    """The workbook's sheets; [] when it cannot be read (the check then says why)."""
    import fastexcel

    try:
        return list(fastexcel.read_excel(str(path)).sheet_names)
    except Exception:  # fastexcel raises its own error types
        return []
