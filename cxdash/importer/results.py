"""What an import or a check gives back, as data: the report, each problem found in a row,
the progress of the phases, and the failures. Nothing here is worded for a person: the CLI
(`cxdash import`) and the Data page (`cxdash.ui.importing`) format these their own way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

# The phases of an import, in order: reading the file, checking every row, writing the rows,
# then publishing the new version (`cxdash.publish`: refreshing the derived columns, saving).
Phase = Literal["reading", "checking", "writing", "refreshing", "saving"]
PHASES: tuple[Phase, ...] = ("reading", "checking", "writing", "refreshing", "saving")


@dataclass(frozen=True)
class Progress:
    """A phase has begun (`fraction` None), or is that far (0–1, DuckDB's own estimate while
    it reads). `detail` names what the phase works on: the file's name when reading starts."""

    phase: Phase
    fraction: float | None = None
    detail: str = ""


OnProgress = Callable[[Progress], None]


@dataclass(frozen=True)
class Problem:
    """One value the import cannot take: the file as it was given, the row as numbered in
    the file (the header is row 1), how the mapping names the column (a file's column, two
    joined with " + ", or "constant <field>"), the text found (None when the cell is empty)
    and why it is wrong."""

    file: str
    row: int
    column: str
    value: str | None
    why: str


@dataclass(frozen=True)
class ImportReport:
    file: str
    table: str
    matched: dict[str, str]  # field → source column(s) or constant, as shown to a person
    unknown_columns: tuple[str, ...]
    rows_read: int
    rows_written: int
    rows_rejected: int
    problems: tuple[Problem, ...] = field(default_factory=tuple)  # in file order
    dropped: dict[str, str] = field(default_factory=dict)  # optional field → why not imported
    target: str = "contacts"  # the table written (events become contacts)
    mode: str = "upsert"
    cleared: dict[str, int] = field(default_factory=dict)  # [before_created]: field → rows
    backup: str | None = None  # replace: the store as it was, kept as an automatic backup
    notes: tuple[str, ...] = ()  # what a person should know, worded (a conversation log's links)


class ImportFailed(Exception):
    """Nothing was written; the message says what to fix."""


class RowsRejected(ImportFailed):
    """Rows have problems and bad rows were not to be skipped: nothing was written.
    `problems` holds every one, in file order."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        self.problems = problems
        self.rows = len({p.row for p in problems})
        super().__init__(f"{len(problems)} problem(s) in {self.rows} row(s); nothing was "
                         "imported")  # fmt: skip
