"""The core never imports Streamlit: only cxdash.ui (and app.py, pages/) may."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import cxdash

CORE = sorted(
    m.name
    for m in pkgutil.walk_packages(cxdash.__path__, "cxdash.")
    if not m.name.startswith("cxdash.ui") and not m.name.endswith("__main__")
)


def test_core_modules_exist() -> None:
    assert {"cxdash.cli", "cxdash.metrics.compiler", "cxdash.store"} <= set(CORE)


def test_core_does_not_import_streamlit() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {CORE!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'streamlit' or m.startswith('streamlit.'))\n"
        "print(','.join(bad))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "", f"core imported {proc.stdout.strip()}"
