"""Import speed and memory: a contacts CSV of N rows into a fresh store, in a child process.

    python benchmarks/bench_import.py --contacts 10000000          # target: < 90 s, < 4 GB
    python benchmarks/bench_import.py --csv /tmp/contacts10m.csv   # an existing file
    python benchmarks/bench_import.py --contacts 1000000 --skip-bad-rows   # target: <= 3x
    python benchmarks/bench_import.py --csv tickets.csv --mapping MAP.toml --skip-bad-rows
    python benchmarks/bench_import.py --messages 5000000           # a conversation log

The CSV is written once from a demo store of the same size (cached under --work) with every
contract column, so the import parses 23 columns, 3 timestamps, numbers and flags. Reports the
wall time per phase (from the importer's progress lines), the total and the peak memory of
the importing process (ru_maxrss of the child).

--skip-bad-rows: what skipping costs. A third of the generated file's rows are made bad (every
third row, in turn: created_at emptied, created_at not a date, CSAT 9); a given --csv is taken
as it is. The file is imported with --skip-bad-rows and --rejects, and with --skip-bad-rows
alone; then the same good rows (the file without the rows the rejects file lists) are imported
clean. Each case runs --runs times, alternating, into a fresh store; the medians and their
ratios to the clean import are printed.

--messages N: a conversation log of about N messages laid out as Twitter customer care
(twcs) is: 1–7 messages per conversation (4 on average) each replying to the one before, one in
ten started by the company, timestamps as `Tue Oct 31 22:10:47 +0000 2017`; imported with
--table messages and the mapping `--suggest` writes for twcs.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from cxdash.schema import CONTACTS


def make_csv(contacts: int, work: Path) -> Path:
    csv = work / f"contacts-{contacts}.csv"
    if csv.exists():
        return csv
    demo = work / f"demo-{contacts}.duckdb"
    if not demo.exists():
        args = ["demo", "--db", str(demo), "--contacts", str(contacts), "--end", "2026-11-21"]
        subprocess.run([sys.executable, "-m", "cxdash", *args], check=True)
    cols = ", ".join(c.name for c in CONTACTS.contract_columns)
    duckdb_in_child(f"ATTACH '{demo}' AS demo (READ_ONLY)",
                    f"COPY (SELECT {cols} FROM demo.contacts) TO '{csv}' (HEADER)")  # fmt: skip
    return csv


MESSAGES_MAPPING = """table = "messages"
[fields]
message_id = "tweet_id"
created_at = "created_at"
inbound = "inbound"
reply_to = "in_response_to_tweet_id"
author = "author_id"
text = "text"
[formats]
created_at = "%a %b %d %H:%M:%S %z %Y"
[constants]
channel = "social"
"""


def make_messages_csv(messages: int, work: Path) -> tuple[Path, Path]:
    """A twcs-like log of about `messages` rows, and its mapping."""
    csv, mapping = work / f"messages-{messages}.csv", work / "messages.toml"
    mapping.write_text(MESSAGES_MAPPING)
    if csv.exists():
        return csv, mapping
    conversations = max(messages // 4, 1)
    step = 365 * 86400 // conversations
    duckdb_in_child(f"""COPY (
        WITH c AS (SELECT range AS conv, CAST(1 + hash(range) % 7 AS BIGINT) AS k
                   FROM range({conversations})),
        m AS (SELECT conv, unnest(range(k)) AS i FROM c),
        s AS (SELECT *, (i % 2 = 0) <> (conv % 10 = 0) AS inbound FROM m)
        SELECT conv * 8 + i AS tweet_id,
               CASE WHEN inbound THEN 'u' || conv % 400000 ELSE 'Brand' || (conv + i // 3) % 300
                    END AS author_id,
               CASE WHEN inbound THEN 'True' ELSE 'False' END AS inbound,
               strftime(TIMESTAMP '2026-01-01' + to_seconds(conv * {step})
                        + to_minutes(CAST(i * 7 + hash(conv, i) % 5 AS BIGINT)),
                        '%a %b %d %H:%M:%S +0000 %Y')
                   AS created_at,
               '@support my order ' || conv || ' has not arrived, message ' || i AS text,
               CASE WHEN i > 0 THEN conv * 8 + i - 1 END AS in_response_to_tweet_id
        FROM s ORDER BY conv, i) TO '{csv}' (HEADER)""")  # fmt: skip
    return csv, mapping


def duckdb_in_child(*statements: str) -> None:
    """Run SQL in a child process: a child's peak RSS starts at its parent's (Linux carries
    it across fork and exec), so this process stays small while it measures imports."""
    code = "import duckdb, sys\ncon = duckdb.connect()\nfor s in sys.argv[1:]:\n    con.execute(s)"
    subprocess.run([sys.executable, "-c", code, *statements], check=True)


def run(csv: Path, work: Path, extra: list[str] | None = None) -> None:
    timed = import_once(csv, work / "imported.duckdb", extra or [])
    print(f"file: {csv} ({csv.stat().st_size / 1e9:.2f} GB)")
    print(timed.summary)
    for msg, seconds in timed.phases:
        print(f"  {msg:<40} {seconds:6.1f} s")
    print(f"total {timed.total:.1f} s, peak memory of the import process {timed.peak_mb:,.0f} MB")


def make_mixed_csv(clean: Path) -> Path:
    """The clean file with every third row made bad, three ways in turn."""
    mixed = clean.with_name(clean.stem + "-third-bad.csv")
    if mixed.exists():
        return mixed
    names = [c.name for c in CONTACTS.contract_columns]
    bad = {
        "created_at": "CASE WHEN kind = 0 THEN NULL WHEN kind = 1 THEN 'not a date' "
                      "ELSE created_at END",
        "csat": "CASE WHEN kind = 2 THEN '9' ELSE csat END",
    }  # fmt: skip
    cols = ", ".join(f"{bad[n]} AS {n}" if n in bad else n for n in names)
    duckdb_in_child(
        f"CREATE TABLE t AS SELECT * FROM read_csv('{clean}', all_varchar = true)",
        f"""COPY (
            SELECT {cols} FROM (
                SELECT *, rowid AS n, CASE WHEN rowid % 3 = 2 THEN (rowid // 3) % 3 END AS kind
                FROM t)
            ORDER BY n) TO '{mixed}' (HEADER)""",
    )  # fmt: skip
    return mixed


@dataclass
class Timed:
    total: float
    phases: list[tuple[str, float]]
    peak_mb: float
    summary: str


def import_once(csv: Path, db: Path, extra: list[str]) -> Timed:
    """One import in a child process into a fresh store: wall time, phases, the child's peak
    RSS (its own, from wait4: several runs share this process)."""
    db.unlink(missing_ok=True)
    out, err = db.with_suffix(".out"), db.with_suffix(".err")
    started = time.monotonic()
    with out.open("w") as o, err.open("w") as e:
        proc = subprocess.Popen([sys.executable, "-m", "cxdash", "import", str(csv), "--db",
                                 str(db), *extra], stdout=o, stderr=e)  # fmt: skip
        _, status, usage = os.wait4(proc.pid, 0)
    total = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(err.read_text())
    marks = [(float(t), msg) for t, msg in re.findall(r"\[\s*([\d.]+)s\] (.*)", err.read_text())
             if not msg.endswith("%")]  # fmt: skip
    phases = [(msg, t_next - t)
              for (t, msg), (t_next, _) in zip(marks, [*marks[1:], (total, "")], strict=True)]
    summary = "\n".join(line for line in out.read_text().splitlines()
                        if " read, " in line or "note:" in line)  # fmt: skip
    for done in (db, out, err):
        done.unlink(missing_ok=True)
    return Timed(total, phases, usage.ru_maxrss / 1024, summary)


def good_rows_csv(csv: Path, rejects: Path) -> Path:
    """The file without the rows the rejects file lists (rows numbered as the importer does:
    the header is row 1, each record one row)."""
    good = csv.with_name(csv.stem + "-good-rows.csv")
    duckdb_in_child(  # rows keep the file's order in a table, as in the importer (rowid + 2)
        f"CREATE TABLE t AS SELECT * FROM read_csv('{csv}', all_varchar = true)",
        f"""COPY (
            SELECT * EXCLUDE (_row) FROM (SELECT rowid + 2 AS _row, * FROM t)
            ANTI JOIN (SELECT CAST("row" AS BIGINT) AS _row
                       FROM read_csv('{rejects}', all_varchar = true)) USING (_row)
            ORDER BY _row) TO '{good}' (HEADER)""",
    )  # fmt: skip
    return good


def skip_bench(csv: Path, mapping: str | None, work: Path, runs: int) -> None:
    db, rejects = work / "imported.duckdb", work / "rejects.csv"
    base = ["--mapping", mapping] if mapping else []
    first = import_once(csv, db, [*base, "--skip-bad-rows", "--rejects", str(rejects)])
    good = good_rows_csv(csv, rejects)
    cases = {
        "clean import of the good rows": (good, base),
        "--skip-bad-rows --rejects": (csv, [*base, "--skip-bad-rows", "--rejects",
                                            str(rejects)]),
        "--skip-bad-rows": (csv, [*base, "--skip-bad-rows"]),
    }  # fmt: skip
    timed: dict[str, list[Timed]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, (path, extra) in cases.items():
            timed[name].append(import_once(path, db, extra))
    print(f"file: {csv} ({csv.stat().st_size / 1e9:.2f} GB); {first.summary}")
    print(f"good rows: {good} ({good.stat().st_size / 1e9:.2f} GB)")
    clean = statistics.median(t.total for t in timed["clean import of the good rows"])
    for name, results in timed.items():
        median = statistics.median(t.total for t in results)
        phases = {msg: statistics.median(dict(t.phases)[msg] for t in results)
                  for msg, _ in results[0].phases}  # fmt: skip
        shown = ", ".join(f"{msg} {s:.1f} s" for msg, s in phases.items())
        print(f"{name:<32} median {median:6.2f} s of {runs} "
              f"({', '.join(f'{t.total:.2f}' for t in results)}), "
              f"{median / clean:4.2f}x clean, peak {max(t.peak_mb for t in results):,.0f} MB")
        print(f"    {shown}")
    rejects.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--csv", help="import this file instead of a generated one")
    parser.add_argument("--messages", type=int, help="a conversation log of about N messages")
    parser.add_argument("--mapping", help="import with this mapping file (with --csv)")
    parser.add_argument("--skip-bad-rows", action="store_true",
                        help="time --skip-bad-rows against a clean import of the good rows")
    parser.add_argument("--runs", type=int, default=3, help="runs per case (--skip-bad-rows)")
    parser.add_argument("--work", default=os.environ.get("CXDASH_BENCH", "/tmp/cxdash-bench"))
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if args.messages:
        log, mapping = make_messages_csv(args.messages, work)
        run(log, work, ["--mapping", str(mapping)])
        return
    csv = Path(args.csv) if args.csv else make_csv(args.contacts, work)
    if args.skip_bad_rows:
        skip_bench(csv if args.csv else make_mixed_csv(csv), args.mapping, work, args.runs)
    elif args.mapping:
        sys.exit("--mapping is for --skip-bad-rows")
    else:
        run(csv, work)


if __name__ == "__main__":
    main()
