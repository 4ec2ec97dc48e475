"""`cxdash` command line (SPEC §5): demo data, imports and exports, metrics as JSON (on DuckDB,
or on Spark over a Parquet lake), the weekly report, backups of the store (backup, restore,
backups) and the store as Parquet for Spark (export-parquet).

Bad input exits with code 2 and one line on stderr that says what to do; a traceback is a bug.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, cast

import duckdb

from cxdash import engines, store
from cxdash.engines.lake import LakeError
from cxdash.exports import EXPORTABLE
from cxdash.formatting import format_value
from cxdash.importer.results import Problem, Progress, RowsRejected
from cxdash.importer.run import IMPORTABLE, ImportFailed
from cxdash.metrics import custom
from cxdash.metrics.catalogue import BUILTIN, Catalogue
from cxdash.metrics.dimensions import DIMENSION_IDS, GRAINS
from cxdash.metrics.request import Filters, MetricRequest, Period, RequestError, parse_date
from cxdash.metrics.runner import compute

if TYPE_CHECKING:
    from cxdash.engines.spark import SparkConnection
    from cxdash.review.mail import Server

EXIT_BAD_INPUT = 2
DEFAULT_DAYS = 28


class UsageError(Exception):
    """Raised instead of argparse's own exit, so every bad-input path prints one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cxdash", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser("demo", help="write a realistic, seeded demo store")
    demo.add_argument("--db", help="store file (default: $CXDASH_DB or data/cxdash.duckdb)")
    demo.add_argument("--contacts", type=int, default=200_000, help="contacts (1,000–10,000,000)")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--end", help="last day of the data, YYYY-MM-DD (default: yesterday)")

    imp = sub.add_parser("import", help="import a CSV, Parquet or Excel file, all or nothing")
    imp.add_argument("file")
    imp.add_argument("--db", help="store file (default: $CXDASH_DB or data/cxdash.duckdb)")
    imp.add_argument("--table", choices=(*IMPORTABLE, "schedules"),
                     help="what the file holds (default: the mapping's table, else contacts; "
                          "schedules: the schedules and SLA policies TOML file)")  # fmt: skip
    how = imp.add_mutually_exclusive_group()
    how.add_argument("--mapping", help="TOML file: [fields] canonical_field = \"source column\"")
    how.add_argument("--preset", help="a built-in mapping: generic, zendesk or freshdesk")
    imp.add_argument("--replace", action="store_true",
                     help="empty the table first (default: upsert by id)")
    imp.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    imp.add_argument("--skip-bad-rows", action="store_true",
                     help="import the good rows and report the bad ones")  # fmt: skip
    imp.add_argument("--rejects", metavar="PATH", help="write the bad rows, with why, as CSV")
    imp.add_argument("--sheet", help="the sheet to read from an Excel workbook")
    imp.add_argument("--suggest", action="store_true",
                     help="print a mapping TOML proposed from the file (every choice says "
                          "why); writes nothing")  # fmt: skip

    exp = sub.add_parser("export", help="the root-cause register or the driver catalog as CSV, "
                                        "in the layout `cxdash import` reads back")  # fmt: skip
    exp.add_argument("--table", required=True, choices=(*EXPORTABLE, "schedules"),
                     help="root_causes (the register) or reasons (the driver catalog) as CSV; "
                          "schedules as the TOML file it was imported from")  # fmt: skip
    exp.add_argument("--db", help="store file (default: $CXDASH_DB or data/cxdash.duckdb)")
    exp.add_argument("--out", required=True, metavar="FILE",
                     help="the CSV file to write (UTF-8 with a BOM), or - for stdout")

    report = sub.add_parser("report", help="the weekly review of one ISO week as one HTML file "
                                           "that opens offline, customer data masked")  # fmt: skip
    report.add_argument("--week", required=True, metavar="YYYY-Www|last",
                        help="the ISO week, e.g. 2026-W26 (Monday to Sunday), or last: the "
                             "newest finished week (its Sunday over in the store's reporting "
                             "time zone) that the data covers")  # fmt: skip
    report.add_argument("--db", help="store file (default: $CXDASH_DB or data/cxdash.duckdb)")
    report.add_argument("--out", metavar="FILE.html",
                        help="the file to write (--out, --mail-to or both)")
    report.add_argument("--filter", action="append", default=[], metavar="DIM=VALUE",
                        help="repeatable, as for `metrics`")  # fmt: skip
    mailing = report.add_argument_group(
        "mailing", "one message to every --mail-to: the week's headline in the body, the report "
                   "(masked) attached; STARTTLS when the server offers it")  # fmt: skip
    mailing.add_argument("--mail-to", action="append", default=[], metavar="ADDR",
                         help="repeatable: a recipient")
    mailing.add_argument("--smtp", metavar="HOST:PORT", help="the mail server (e.g. mail:587)")
    mailing.add_argument("--smtp-user", metavar="USER",
                         help="log in as USER with the password in $CXDASH_SMTP_PASSWORD "
                              "(only ever sent inside TLS)")  # fmt: skip
    mailing.add_argument("--smtp-ssl", action="store_true",
                         help="TLS from the first byte (usually port 465) instead of STARTTLS; "
                              "$CXDASH_SMTP_CAFILE: a CA file to trust instead of the "
                              "system's")  # fmt: skip
    mailing.add_argument("--mail-from", metavar="ADDR",
                         help="the sender (default: cxdash@ this machine's full host name)")

    backup = sub.add_parser("backup", help="a consistent copy of the store, read back before "
                                           "it is reported")  # fmt: skip
    backup.add_argument("--db", help="store file (default: $CXDASH_DB or data/cxdash.duckdb)")
    backup.add_argument("--out", metavar="FILE",
                        help="where to write it (default: backups/<store name>-YYYYmmdd-HHMMSS"
                             ".duckdb beside the store)")  # fmt: skip
    backup.add_argument("--list", action="store_true", help="list the backups instead")

    restore = sub.add_parser("restore", help="make a backup the store (the store it replaces "
                                             "is kept as a backup first)")  # fmt: skip
    restore.add_argument("file", help="the backup to restore, e.g. from `cxdash backups`")
    restore.add_argument("--db", help="store file (default: $CXDASH_DB or data/cxdash.duckdb)")
    restore.add_argument("--quiet", action="store_true", help="no progress lines on stderr")

    listing = sub.add_parser("backups", help="the store's backups, newest first")
    listing.add_argument("--db", help="store file (default: $CXDASH_DB or data/cxdash.duckdb)")

    parquet = sub.add_parser("export-parquet", help="the store as Parquet in the layout the "
                                                     "spark engine reads (contacts and orders "
                                                     "by month)")  # fmt: skip
    parquet.add_argument("--db", help="store file (default: $CXDASH_DB or data/cxdash.duckdb)")
    parquet.add_argument("--out", required=True, metavar="DIR",
                         help="a folder that does not exist yet or is empty")  # fmt: skip

    drivers = sub.add_parser("drivers", help="contact drivers found in free-text reasons or "
                                             "in the contacts' own text")  # fmt: skip
    drivers_sub = drivers.add_subparsers(dest="drivers_command", required=True,
                                         parser_class=_Parser)  # fmt: skip
    discover = drivers_sub.add_parser(
        "discover", help="group free-text reasons (or --text) into named drivers and print the "
                         "proposal; --apply writes it")  # fmt: skip
    discover.add_argument("--db", help="store file (default: $CXDASH_DB or data/cxdash.duckdb)")
    discover.add_argument("--text", action="append", default=[], metavar="FIELD",
                          help="read this text field of contacts without a usable reason "
                               "(repeatable: joined), e.g. comment")  # fmt: skip
    discover.add_argument("--drivers", type=int, metavar="N",
                          help="this many drivers (default: chosen from the data)")
    discover.add_argument("--apply", action="store_true",
                          help="write the drivers: the driver map (or the contacts' "
                               "assignments), new catalog rows, as one new store version")

    metrics = sub.add_parser("metrics", help="every SPEC metric for a period")
    metrics.add_argument("--db", help="store file (default: $CXDASH_DB or data/cxdash.duckdb)")
    metrics.add_argument("--engine", choices=engines.ENGINES,
                         help="where the SQL runs (default: $CXDASH_ENGINE or duckdb)")
    metrics.add_argument("--lake", metavar="DIR",
                         help="for --engine spark: the folder export-parquet wrote, or a URI "
                              "Spark reads (default: $CXDASH_LAKE)")  # fmt: skip
    metrics.add_argument("--spark-master", metavar="URL",
                         help="for --engine spark (default: $CXDASH_SPARK_MASTER or "
                              f"{engines.DEFAULT_MASTER})")  # fmt: skip
    metrics.add_argument("--start", help="first day, YYYY-MM-DD (default: 27 days before --end)")
    metrics.add_argument("--end", help="last day, inclusive (default: the newest contact's day)")
    metrics.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="DIM=VALUE",
        help="repeatable; several values of one dimension mean any of them "
        f"({', '.join(DIMENSION_IDS)})",
    )
    metrics.add_argument(
        "--by",
        metavar="DIM",
        help="one row per value of a dimension or time grain "
        f"({', '.join(DIMENSION_IDS + GRAINS)})",
    )
    metrics.add_argument("--metric", action="append", default=[], help="only these metric ids")
    metrics.add_argument("--json", action="store_true", help="print JSON (SPEC §5 shape)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = None
    try:
        args = build_parser().parse_args(argv)
        commands = {"demo": _demo, "import": _import, "export": _export, "report": _report,
                    "backup": _backup, "restore": _restore, "backups": _backups,
                    "export-parquet": _export_parquet, "drivers": _drivers}  # fmt: skip
        return commands.get(args.command, _metrics)(args)
    except (UsageError, RequestError, store.StoreError, ImportFailed, engines.EngineError,
            LakeError) as exc:  # fmt: skip
        print(f"cxdash: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except duckdb.Error as exc:
        from cxdash import diagnosis

        damaged = diagnosis.damaged_message(store.resolve_db_path(getattr(args, "db", None)), exc)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"cxdash: error: {damaged or f'the store could not answer ({first})'}",
              file=sys.stderr)  # fmt: skip
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("cxdash: interrupted; nothing was changed", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `cxdash metrics --json | head`: the reader has all it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the exit's flush does not fail again
        return 0
    except RuntimeError as exc:  # DuckDB turns Ctrl-C during a query into this
        if "interrupted" not in str(exc).lower():
            return _unexpected(exc)
        print("cxdash: interrupted; nothing was changed", file=sys.stderr)
        return 130
    except OSError as exc:  # a read-only folder, a full disk, a file that vanished
        where = f" {exc.filename}" if exc.filename else ""
        print(f"cxdash: error: cannot use{where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # every failure is one line, never a traceback
        return _unexpected(exc)


def _unexpected(exc: BaseException) -> int:
    """A failure no check foresaw: one line naming it, exit 2; CXDASH_DEBUG=1 shows where."""
    if os.environ.get("CXDASH_DEBUG"):
        raise exc
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    print(f"cxdash: error: {type(exc).__name__}{': ' + text if text else ''} (nothing was "
          "changed; CXDASH_DEBUG=1 shows the traceback)", file=sys.stderr)  # fmt: skip
    return EXIT_BAD_INPUT


def _demo(args: argparse.Namespace) -> int:
    from cxdash.demo.generator import generate  # heavy; only for this command

    if not 1_000 <= args.contacts <= 10_000_000:
        raise UsageError("--contacts must be between 1000 and 10000000")
    end = parse_date(args.end, "--end") if args.end else None
    path = store.resolve_db_path(args.db)
    summary = generate(path, contacts=args.contacts, seed=args.seed, end=end)
    print(
        f"wrote {path}: {summary.contacts:,} contacts, {summary.orders:,} orders, "
        f"{summary.customers:,} customers, {summary.start} – {summary.end} "
        f"in {summary.seconds:.1f} s"
    )
    if summary.backup is not None:
        print(_kept_line(summary.backup, path))
    return 0


def _kept_line(backup: object, path: object, what: str = "the store it replaced") -> str:
    quoted = shlex.quote(str(backup))
    return (f"{what} is kept as {backup} (`cxdash restore {quoted} --db "
            f"{shlex.quote(str(path))}` brings it back)")  # fmt: skip


def _import(args: argparse.Namespace) -> int:
    from cxdash.importer.mapping import Mapping, MappingError
    from cxdash.importer.run import import_file

    if args.suggest:
        return _suggest(args)
    if args.table == "schedules":
        return _import_schedules(args)

    mapping = None
    try:
        if args.mapping:
            mapping = Mapping.load(Path(args.mapping))
        elif args.preset:
            mapping = Mapping.preset(args.preset)
    except MappingError as exc:
        raise UsageError(f"--{'mapping' if args.mapping else 'preset'}: {exc}") from exc
    started = time.monotonic()

    def progress(step: Progress) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {_progress_line(step)}", file=sys.stderr,
              flush=True)  # fmt: skip

    try:
        report = import_file(Path(args.file), store.resolve_db_path(args.db), args.table,
                             mapping, skip_bad_rows=args.skip_bad_rows,
                             rejects=Path(args.rejects) if args.rejects else None,
                             sheet=args.sheet, mode="replace" if args.replace else "upsert",
                             progress=None if args.quiet else progress)  # fmt: skip
    except RowsRejected as exc:
        listed = [_problem_line(p) for p in exc.problems[:_PROBLEMS_LISTED]]
        more = len(exc.problems) - len(listed)
        raise ImportFailed(f"{exc} (use --skip-bad-rows to import the rest):\n"
                           + "\n".join(listed) + (f"\n… and {more} more" if more > 0 else "")
                           ) from exc  # fmt: skip
    shown = ", ".join(f"{field} ← {col}" for field, col in report.matched.items())
    print(f"matched columns: {shown}")
    for field, n in report.cleared.items():
        print(f"cleared: {field} in {n:,} rows, where it was before created_at ([before_created])")
    for field, why in report.dropped.items():
        print(f"not imported: {field} ({why})")
    if report.unknown_columns:
        ignored = report.unknown_columns
        rest = f" and {len(ignored) - 30:,} more" if len(ignored) > 30 else ""
        print(f"ignored columns: {', '.join(ignored[:30])}{rest}")
    what = {"events": "events", "messages": "messages"}.get(report.table, "rows")
    print(f"{report.file}: {report.rows_read:,} {what} read, {report.rows_written:,} written to "
          f"{report.target}{' (replaced)' if report.mode == 'replace' else ''}, "
          f"{report.rows_rejected:,} rejected")  # fmt: skip
    for note in report.notes:
        print(f"  note: {note}")
    for problem in report.problems[:_PROBLEMS_LISTED]:
        print(f"  rejected: {_problem_line(problem)}")
    if report.backup:
        print(_kept_line(report.backup, store.resolve_db_path(args.db),
                         "the store as it was before this import"))  # fmt: skip
    return 0


def _suggest(args: argparse.Namespace) -> int:
    from cxdash.importer.read import ReadFailed
    from cxdash.importer.suggest import SuggestFailed, suggest

    if args.mapping or args.preset or args.replace or args.skip_bad_rows or args.rejects:
        raise UsageError("--suggest only reads the file: leave out --mapping, --preset, "
                         "--replace, --skip-bad-rows and --rejects")  # fmt: skip
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    try:
        proposal = suggest(path, args.table, args.sheet)
    except (SuggestFailed, ReadFailed) as exc:
        raise ImportFailed(str(exc)) from exc
    sys.stdout.write(proposal.text)
    return 0


_PROBLEMS_LISTED = 20  # problems printed, of all the import found
_PHASE_WORDS = {"checking": "checking every row", "writing": "writing",
                "refreshing": "refreshing derived columns",
                "saving": "saving the new version of the store"}  # fmt: skip


def _progress_line(step: Progress) -> str:
    """An import's progress as the CLI prints it: "reading tickets.csv", "reading 45%",
    "checking every row", … (benchmarks and the kill tests read these lines)."""
    if step.phase == "reading":
        if step.fraction is None:
            return f"reading {step.detail}"
        return f"reading {round(step.fraction * 100, 6):.0f}%"
    return _PHASE_WORDS[step.phase]


def _problem_line(p: Problem) -> str:
    """`FILE:ROW: column 'X' value 'Y': why` (or `column 'X': why` for an empty cell)."""
    value = f" value {p.value!r}" if p.value is not None else ""
    return f"{p.file}:{p.row}: column {p.column!r}{value}: {p.why}"


def _backup(args: argparse.Namespace) -> int:
    from cxdash import backup_restore

    path = store.resolve_db_path(args.db)
    if args.list:
        if args.out:
            raise UsageError("--list takes no --out")
        return _backups(args)
    done = backup_restore.take_backup(path, Path(args.out) if args.out else None)
    print(f"backed up {path} to {done.path} ({_size(done.size)}, {_contacts(done.contacts)}; "
          f"read back)")  # fmt: skip
    return 0


def _restore(args: argparse.Namespace) -> int:
    from cxdash import backup_restore

    path = store.resolve_db_path(args.db)
    started = time.monotonic()

    def progress(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    done = backup_restore.restore(path, Path(args.file), None if args.quiet else progress)
    print(f"restored {path} from {done.source} ({_contacts(done.contacts)})")
    if done.kept is not None:
        state = "" if done.kept_readable else " (it did not read as a cxdash store; kept as it was)"
        print(f"the store it replaced is kept as {done.kept}{state}")
    return 0


def _backups(args: argparse.Namespace) -> int:
    from cxdash import backup_restore, backups

    path = store.resolve_db_path(args.db)
    found = backup_restore.listed(path)
    if not found:
        print(f"no backups of {path} in {backups.backup_dir(path)} (`cxdash backup --db {path}` "
              "takes one)")  # fmt: skip
        return 0
    print(f"backups of {path}, newest first:")
    width = max(len(str(item.backup.path)) for item in found)
    for item in found:
        b = item.backup
        what = _contacts(item.contacts) if item.contacts is not None else \
            f"does not read: {item.problem}"
        print(f"  {b.path!s:<{width}}  {b.taken:%Y-%m-%d %H:%M:%S}  {_size(b.size):>9}  "
              f"{b.kind}; {what}")  # fmt: skip
    automatic = sum(1 for item in found if item.backup.automatic)
    print(f"{len(found)} backup{'' if len(found) == 1 else 's'}, {automatic} automatic (the "
          f"newest {backups.keep_automatic()} automatic ones are kept)")  # fmt: skip
    return 0


def _drivers(args: argparse.Namespace) -> int:
    import contextlib

    from cxdash.drivers import discover, driver_map

    path = store.resolve_db_path(args.db)
    if args.drivers is not None and not 2 <= args.drivers <= 200:
        raise UsageError("--drivers must be between 2 and 200")
    with contextlib.closing(store.open_read(path)) as con:
        try:
            proposal = discover.discover(con, tuple(args.text), args.drivers)
        except discover.NothingToDiscover as exc:
            raise UsageError(str(exc)) from exc
    sys.stdout.write(discover.describe(proposal))
    if not args.apply:
        print("\nnothing written; --apply writes these drivers")
        return 0
    by = "cxdash drivers discover"
    if proposal.source == "reasons":
        change = driver_map.write(path, proposal.mapping, changed_by=by, discovered=True)
    else:
        change = driver_map.write(path, {}, assignments=discover.assignments(proposal),
                                  changed_by=by, text_fields=tuple(args.text))  # fmt: skip
    print(f"\nwritten to {path}: {change.summary()}")
    return 0


def _contacts(n: int) -> str:
    return f"{n:,} contact{'' if n == 1 else 's'}"


def _size(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def _import_schedules(args: argparse.Namespace) -> int:
    from cxdash.importer.schedules import SchedulesRejected, import_schedules

    try:
        done = import_schedules(Path(args.file), store.resolve_db_path(args.db),
                                changed_by=f"import: {Path(args.file).name}")  # fmt: skip
    except SchedulesRejected as exc:
        raise ImportFailed(f"nothing was imported:\n{exc}") from exc
    for note in done.notes:
        print(f"note: {note}")
    print(f"{args.file}: {done.schedules} schedule(s), {done.teams} team(s) mapped, "
          f"{done.policies} SLA polic{'y' if done.policies == 1 else 'ies'}; "
          f"{done.measured:,} contacts measured")  # fmt: skip
    for target, counts in (("first response", done.outcomes),
                           ("resolution", done.resolution_outcomes)):  # fmt: skip
        if counts:
            print(f"{target}: " + ", ".join(f"{counts.get(k, 0):,} {k}"
                                            for k in ("achieved", "breached", "running")))
    return 0


def _export_schedules(args: argparse.Namespace) -> int:
    from cxdash.importer.schedules import export_schedules

    text = export_schedules(store.resolve_db_path(args.db))
    if text is None:
        raise UsageError("the store has no schedules or SLA policies "
                         "(cxdash import FILE.toml --table schedules)")  # fmt: skip
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    try:
        Path(args.out).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--out {args.out}: {exc.strerror or exc}") from exc
    print(f"wrote the schedules and SLA policies to {args.out}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from cxdash import exports

    if args.table == "schedules":
        return _export_schedules(args)
    path = store.resolve_db_path(args.db)
    con = store.open_read(path)
    try:
        table = exports.cells(con, args.table)
    finally:
        con.close()
    if args.out == "-":
        out = getattr(sys.stdout, "buffer", None)
        if out is None:  # a text-only stream (an embedding that replaced stdout)
            sys.stdout.write(exports.to_csv(table, bom=False).decode("utf-8"))
        else:
            sys.stdout.flush()
            out.write(exports.to_csv(table, bom=False))
            out.flush()
        return 0
    target = Path(args.out)
    try:
        target.write_bytes(exports.to_csv(table))
    except OSError as exc:
        raise UsageError(f"--out {target}: {exc.strerror or exc}") from exc
    rows = len(table) - 1
    print(f"wrote {rows:,} row{'' if rows == 1 else 's'} of {args.table} to {target}")
    return 0


def _open_with_contacts(path: Path) -> tuple[duckdb.DuckDBPyConnection, store.StoreInfo]:
    """The store read-only and what it holds; a StoreError when it has no contacts to report."""
    con = store.open_checked(path)
    info = store.inspect(con)
    if not info.has_table("contacts") or info.contacts_rows == 0:
        con.close()
        raise store.StoreError(
            f"the store {path} has no contacts: run `cxdash demo --db {path}` "
            f"or `cxdash import FILE --db {path}`"
        )
    return con, info


def _report(args: argparse.Namespace) -> int:
    from cxdash.review import mail, report
    from cxdash.review.weeks import Week

    try:
        sending = _mail_plan(args)  # checked before the store is read
    except mail.MailFailed as exc:
        raise UsageError(str(exc)) from exc
    last = args.week.strip().lower() == "last"
    week = None if last else Week.parse(args.week)
    filters = Filters.parse(args.filter)
    path = store.resolve_db_path(args.db)
    con, info = _open_with_contacts(path)
    try:
        week = report.last_week(con) if week is None else week
        review = report.review_of(con, info, week, filters)
        page = report.render(review, source=path.name)
        message = None if sending is None else mail.compose(
            page, review.score(), review.scope, sender=sending.sender,
            recipients=sending.recipients, source=path.name)  # fmt: skip
    finally:
        con.close()
    target = Path(args.out) if args.out else None
    if target is not None:
        try:
            target.write_text(page, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--out {target}: {exc.strerror or exc}") from exc
        print(f"wrote {target}: weekly review {week.iso}, {_size(target.stat().st_size)}, "
              "opens offline; customer names, e-mails, phone numbers and ids masked")  # fmt: skip
    if message is not None and sending is not None:
        try:
            mail.send(message, sending.server, user=args.smtp_user,
                      password=os.environ.get(mail.ENV_PASSWORD), implicit_tls=args.smtp_ssl)
        except mail.MailFailed as exc:
            kept = f" (the report is written to {target})" if target is not None else ""
            raise UsageError(f"not mailed: {exc}{kept}") from exc
        print(f"mailed weekly review {week.iso} to {', '.join(sending.recipients)} via "
              f"{sending.server} (report attached, {_size(len(page.encode()))}, masked)")
    return 0


@dataclass(frozen=True)
class _MailPlan:
    server: Server
    sender: str
    recipients: list[str]


def _mail_plan(args: argparse.Namespace) -> _MailPlan | None:
    """Where and to whom the report goes, checked; None when it is not mailed."""
    from cxdash.review import mail

    if not args.mail_to:
        if not args.out:
            raise UsageError("give --out FILE.html, --mail-to ADDR (with --smtp HOST:PORT), "
                             "or both")  # fmt: skip
        given = [f"--{n.replace('_', '-')}" for n in ("smtp", "smtp_user", "mail_from")
                 if getattr(args, n)] + (["--smtp-ssl"] if args.smtp_ssl else [])  # fmt: skip
        if given:
            raise UsageError(f"{', '.join(given)}: only with --mail-to ADDR")
        return None
    if not args.smtp:
        raise UsageError("--mail-to needs --smtp HOST:PORT, the mail server to send through")
    recipients = list(dict.fromkeys(mail.address(a, "--mail-to") for a in args.mail_to))
    sender = mail.address(args.mail_from, "--mail-from") if args.mail_from else \
        mail.default_sender()
    if args.smtp_user and not os.environ.get(mail.ENV_PASSWORD):
        raise UsageError(f"--smtp-user {args.smtp_user} needs its password in "
                         f"${mail.ENV_PASSWORD}")  # fmt: skip
    return _MailPlan(mail.Server.parse(args.smtp), sender, recipients)


def _period(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> Period:
    if args.start and args.end:
        return Period.parse(args.start, args.end)
    if args.end:
        end = parse_date(args.end, "--end")
    else:
        newest = con.execute("SELECT CAST(max(created_at) AS DATE) FROM contacts").fetchall()
        end = newest[0][0]
    start = (
        parse_date(args.start, "--start")
        if args.start
        else end - dt.timedelta(days=DEFAULT_DAYS - 1)
    )
    return Period(start, end)


def _export_parquet(args: argparse.Namespace) -> int:
    from cxdash.engines.lake import export_parquet

    path = store.resolve_db_path(args.db)
    done = export_parquet(path, Path(args.out))
    parts = [f"{done.rows[t]:,} {t}" + (f" ({done.months[t]} months)" if t in done.months else "")
             for t in ("contacts", "orders")]  # fmt: skip
    small = (("reasons", "drivers"), ("root_causes", "root causes"),
             ("orders_daily", "daily order rows"))  # fmt: skip
    parts += [f"{done.rows[t]:,} {label}" for t, label in small]
    print(f"wrote {done.out}: {', '.join(parts)} in {done.seconds:.1f} s; read it with "
          f"`cxdash metrics --engine spark --lake {shlex.quote(str(done.out))}`")  # fmt: skip
    return 0


def _open_lake(choice: engines.EngineChoice) -> tuple[SparkConnection, store.StoreInfo]:
    """The lake on Spark and what it holds; LakeError when it has no contacts to report."""
    from cxdash.engines.spark import open_lake

    con = open_lake(str(choice.lake), choice.master)
    info = con.inspect()
    if info.contacts_rows == 0:
        raise LakeError(f"the lake {choice.lake} has no contacts: export a store that has "
                        "some with `cxdash export-parquet --db STORE --out DIR`")  # fmt: skip
    return con, info


def _metrics(args: argparse.Namespace) -> int:
    filters = Filters.parse(args.filter)
    by: tuple[str, ...] = ()
    grain: str | None = None
    if args.by in GRAINS:
        grain = args.by
    elif args.by:
        by = (args.by,)
    choice = engines.resolve(args.engine, args.lake, args.spark_master)
    if choice.spark:
        if args.db:
            raise UsageError("--db names a DuckDB store; the spark engine reads the lake that "
                             "`cxdash export-parquet` wrote (--lake DIR)")  # fmt: skip
        # Custom metrics run on DuckDB only (their checks bind them on a DuckDB store).
        if os.environ.get(custom.ENV_METRICS, "").strip():
            print(f"cxdash: note: the custom metrics in ${custom.ENV_METRICS} run on DuckDB "
                  "only; the spark engine reports the built-in ones", file=sys.stderr)
        lake, info = _open_lake(choice)
        con = cast(duckdb.DuckDBPyConnection, lake)  # it answers the query layer's calls
    else:
        if args.lake or args.spark_master:
            raise UsageError("--lake and --spark-master are for --engine spark")
        path = store.resolve_db_path(args.db)
        con, info = _open_with_contacts(path)
    catalogue: Catalogue = BUILTIN
    try:
        if not choice.spark:
            # Custom metrics ($CXDASH_METRICS or metrics.toml beside the store) join the
            # built-in ones after them; a file with any problem is bad input.
            loaded = custom.load_for_store(con, path, info=info)
            if loaded.problems:
                raise custom.MetricsFileError(loaded.message())
            catalogue = loaded.catalogue
        metric_ids = tuple(args.metric) or tuple(catalogue)
        period = _period(con, args)
        request = MetricRequest(period, filters, by, grain, metric_ids, catalogue=catalogue)
        # The period and the previous one (like for like, SPEC §3) in one statement.
        flat = MetricRequest(period, filters, (), None, metric_ids, with_previous=True,
                             catalogue=catalogue)  # fmt: skip
        both = {r["bucket"]: r for r in compute(con, flat, info).iter_rows(named=True)}
        before = period.previous()
        as_of = flat.previous_as_of(info.newest_contact_day)
        rows = compute(con, request, info) if args.by else None
    finally:
        con.close()

    def values(row: dict[str, object], previous: bool = False) -> dict[str, object]:
        # a metric of "now" (sla_at_risk) has no value in the previous period
        return _jsonable({m: None if previous and catalogue[m].now_only else row[m]
                          for m in metric_ids})  # fmt: skip

    out: dict[str, object] = {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "filters": filters.as_dict(),
        "metrics": values(both[period.start]),
        "previous": {
            "start": before.start.isoformat(),
            "end": before.end.isoformat(),
            "as_of": as_of.isoformat(),
            "metrics": values(both[before.start], previous=True),
        },
    }
    if rows is not None:
        out["by"] = args.by
        if grain:
            rows = rows.rename({"bucket": grain})
        out["rows"] = [_jsonable(r) for r in rows.iter_rows(named=True)]
    if args.json:
        json.dump(out, sys.stdout, indent=2, allow_nan=False)
        sys.stdout.write("\n")
    else:
        _print_table(out, catalogue)
    return 0


def _jsonable(row: dict[str, object]) -> dict[str, object]:
    clean: dict[str, object] = {}
    for key, value in row.items():
        if isinstance(value, float) and value != value:
            value = None
        elif isinstance(value, dt.date | dt.datetime):
            value = value.isoformat()
        clean[key] = value
    return clean


def _print_table(out: dict[str, object], catalogue: Catalogue) -> None:
    print(f"{out['start']} – {out['end']}  filters: {out['filters'] or 'none'}")
    metrics = out["metrics"]
    assert isinstance(metrics, dict)
    width = max(len(catalogue[m].label) for m in metrics)
    for metric_id, value in metrics.items():
        metric = catalogue[metric_id]
        print(f"  {metric.label:<{width}}  {format_value(metric, value):>12}  ({metric_id})")
    if "rows" in out:
        rows = out["rows"]
        assert isinstance(rows, list)
        print(f"\nby {out['by']}: {len(rows)} rows (use --json for all values)")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
