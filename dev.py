#!/usr/bin/env python3
"""Set up and run cxdash on a fresh machine that has only python3 (3.11+), as root.

    python3 dev.py start        # venv + install, demo store on first run, then the dashboard
    python3 dev.py test         # venv + install + Debian's Chromium, then the whole test suite
    python3 dev.py test --fast  # the inner loop: no browser, no Spark, no kill trials, 2 workers

Standard library only: this file runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
CHROMIUM = Path("/usr/bin/chromium")


def say(text: str) -> None:
    print(f"[dev] {text}", flush=True)


def run(cmd: list[str], **kw) -> None:  # type: ignore[no-untyped-def]
    subprocess.run(cmd, check=True, **kw)


def apt_install(*packages: str) -> None:
    if os.geteuid() != 0:
        sys.exit(f"[dev] need root to install {' '.join(packages)} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-qq"], env=env)
    run(["apt-get", "install", "-y", "-qq", *packages], env=env)


def ensure_venv(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - runs before the venv exists
        sys.exit("[dev] cxdash needs Python 3.11 or newer")
    if not PY.exists():
        say("creating .venv")
        try:
            run([sys.executable, "-m", "venv", str(VENV)])
        except subprocess.CalledProcessError:
            # Debian's python3 ships venv's pip bootstrap separately.
            shutil.rmtree(VENV, ignore_errors=True)
            ver = f"{sys.version_info.major}.{sys.version_info.minor}"
            apt_install(f"python{ver}-venv")
            run([sys.executable, "-m", "venv", str(VENV)])
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / ".cxdash-installed"
    if stamp.exists() and stamp.read_text() == wanted:
        return
    say(f"installing cxdash{extras} into .venv")
    run([str(PY), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--upgrade", "pip"])
    run([str(PY), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "-e", f"{ROOT}{extras}"])  # fmt: skip
    stamp.write_text(wanted)


def ensure_chromium() -> None:
    if not CHROMIUM.exists():
        say("installing Debian's Chromium for the browser tests")
        apt_install("chromium")


def start(args: list[str]) -> None:
    ensure_venv("")
    db = Path(os.environ.get("CXDASH_DB", ROOT / "data" / "cxdash.duckdb"))
    if not db.exists():
        say(f"no store at {db}: writing the demo store (about 15 s)")
        run([str(VENV / "bin" / "cxdash"), "demo", "--db", str(db)], cwd=ROOT)
    say("cxdash on http://127.0.0.1:8501 (Ctrl-C stops it)")
    os.chdir(ROOT)
    # `streamlit run app.py`, with the app's modules and first reads ready before anyone opens it
    os.execv(str(PY), [str(PY), "-m", "cxdash.ui.serve", *args])


# The inner loop: everything but the browser tests, Spark and the kill -9 trials (marked slow),
# on both cores (tests sharing one expensive fixture stay on one worker: `xdist_group`), with a
# tenth of the property tests' examples. `python3 dev.py test` stays the whole suite, which
# CI runs.
FAST = ["-m", "not browser and not slow", "-n", "2", "--dist", "loadgroup", "-q",
        "-p", "no:cacheprovider"]  # fmt: skip
FAST_ENV = {"CXDASH_PROPERTY_SCALE": "0.1"}
# Compiled modules (and pytest's rewritten test modules) are kept inside .venv, even when
# PYTHONDONTWRITEBYTECODE is set to keep the source tree clean: without them every test
# process compiles cxdash and the tests again (8 s of collection instead of 2).
BYTECODE_ENV = {"PYTHONPYCACHEPREFIX": str(VENV / "pycache")}


def test(args: list[str]) -> None:
    ensure_venv("[test]")
    fast = "--fast" in args
    args = [a for a in args if a != "--fast"]
    if not fast:
        ensure_chromium()
    os.chdir(ROOT)
    env = {**os.environ, **BYTECODE_ENV, **(FAST_ENV if fast else {})}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    os.execve(str(PY), [str(PY), "-m", "pytest", *(FAST if fast else []), *args], env)


def main() -> None:
    commands = {"start": start, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
