"""examples/schedule stays true (issue 21): the cxdash command lines in the cron file and the
systemd service parse with cxdash's own argument parser and pass the mail options' checks, the
cron line and the timer fire on Monday at 08:00 in the same zone, and — where systemd-analyze
is installed — systemd reads the timer's calendar and both unit files without a complaint."""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cxdash.cli import _mail_plan, build_parser

ROOT = Path(__file__).parents[1]
SCHEDULE = ROOT / "examples" / "schedule"
CRON = SCHEDULE / "cxdash-report.cron"
SERVICE = SCHEDULE / "cxdash-report.service"
TIMER = SCHEDULE / "cxdash-report.timer"
ANALYZE = shutil.which("systemd-analyze")


def _after_cxdash(tokens: list[str]) -> list[str]:
    """The arguments after the cxdash executable in a command line."""
    for i, token in enumerate(tokens):
        if token == "cxdash" or token.endswith("/cxdash"):
            return tokens[i + 1:]
    raise AssertionError(f"no cxdash in {tokens}")


def _cron_entries() -> list[tuple[list[str], list[str]]]:
    """(the five time fields, the command's tokens) of every job line."""
    entries = []
    for line in CRON.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or re.match(r"[A-Za-z_][A-Za-z0-9_]*\s*=", line):
            continue
        fields = line.split(None, 5)
        entries.append((fields[:5], shlex.split(fields[5])))
    return entries


def _cron_env() -> dict[str, str]:
    found = (re.match(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)", line.strip())
             for line in CRON.read_text().splitlines())  # fmt: skip
    return {m[1]: m[2] for m in found if m}


def _unit(path: Path) -> dict[str, list[str]]:
    """key → values of a systemd unit file, continuation lines joined, comments left out."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    keys: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            keys.setdefault(key.strip(), []).append(value.strip())
    return keys


def _commands() -> list[tuple[str, list[str]]]:
    cron = [(f"{CRON.name}", _after_cxdash(tokens)) for _, tokens in _cron_entries()]
    service = [(SERVICE.name, _after_cxdash(shlex.split(line)))
               for line in _unit(SERVICE)["ExecStart"]]  # fmt: skip
    return cron + service


def test_there_is_one_job_in_each_file() -> None:
    assert [name for name, _ in _commands()] == [CRON.name, SERVICE.name]


@pytest.mark.parametrize(("name", "argv"), _commands())
def test_the_command_lines_are_cxdash_commands(
    name: str, argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # an unknown flag raises UsageError here …
    parser = build_parser()
    args: argparse.Namespace = parser.parse_args(argv)
    # … and a shortened one, which argparse would take, is written out in full
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    flags = set(sub.choices[argv[0]]._option_string_actions)
    assert [t for t in argv if t.startswith("--") and t not in flags] == [], name
    assert args.command == "report" and args.week == "last", name
    assert args.out and args.db
    monkeypatch.setenv("CXDASH_SMTP_PASSWORD", "from the environment")
    plan = _mail_plan(args)  # the checks the real run makes before it reads the store
    assert plan is not None and len(plan.recipients) == 2 and plan.server.port == 587
    assert plan.sender == "cxdash-reports@example.com"


def test_cron_and_timer_fire_on_monday_at_eight_in_one_zone() -> None:
    (times, _), = _cron_entries()
    assert times == ["0", "8", "*", "*", "1"]
    zone = _cron_env()["CRON_TZ"]
    ZoneInfo(zone)  # a zone that exists
    timer = _unit(TIMER)
    assert timer["OnCalendar"] == [f"Mon *-*-* 08:00:00 {zone}"]
    assert timer["Unit"] == [SERVICE.name] and timer["Persistent"] == ["true"]
    service = _unit(SERVICE)
    assert service["Type"] == ["oneshot"]
    assert "CXDASH_SMTP_PASSWORD" not in SERVICE.read_text().replace(
        "# CXDASH_SMTP_PASSWORD=…", "")  # the password lives in the EnvironmentFile only


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")
def test_systemd_reads_the_timers_calendar() -> None:
    assert ANALYZE is not None
    calendar = _unit(TIMER)["OnCalendar"][0]
    done = subprocess.run([ANALYZE, "calendar", "--iterations", "3", calendar],
                          capture_output=True, text=True, timeout=60,
                          env={"TZ": "UTC", "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"Normalized form: {calendar}" in done.stdout
    runs = re.findall(r"(?:Next elapse|Iter\. #\d):\s+(\w{3}) \d{4}-\d\d-\d\d (\d\d):00:00 UTC",
                      done.stdout)  # fmt: skip
    # 08:00 in Berlin is 07:00 UTC in winter, 06:00 in summer: always a Monday
    assert len(runs) == 3 and all(day == "Mon" and hour in ("06", "07") for day, hour in runs)


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")
def test_systemd_verifies_both_units(tmp_path: Path) -> None:
    """The units as written, but run by this checkout's cxdash (verify wants the program)."""
    assert ANALYZE is not None
    cxdash = Path(sys.executable).parent / "cxdash"
    shutil.copy(TIMER, tmp_path / TIMER.name)
    (tmp_path / SERVICE.name).write_text(
        SERVICE.read_text().replace("/opt/cxdash/.venv/bin/cxdash", str(cxdash)))
    done = subprocess.run([ANALYZE, "verify", TIMER.name, SERVICE.name], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    said = [line for line in done.stderr.splitlines() if "cxdash-report" in line]
    assert done.returncode == 0 and said == [], done.stderr
