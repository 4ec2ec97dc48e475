"""How the register and the driver catalog write a value in a spreadsheet cell, both ways.

cxdash exports those two tables as CSV for a team to keep in a spreadsheet, and imports them
back; these rules make that round trip exact.

**Formulas.** A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula
(CSV injection), some after leading white space (`"\n=cmd"`), and some take a leading tab or
carriage return as the start of one; so an exported cell that starts with one of them — after
any number of apostrophes, or white space before `=`, `+`, `-`, `@` — gets one apostrophe in
front: `=SUM(A1)` is written `'=SUM(A1)`, `'=x` is written `''=x`, `"\t1"` is written `"'\t1"`.
The importer takes exactly that apostrophe off again: it strips one leading `'` from a cell
that is one or more apostrophes followed by what needed the guard, and leaves every other cell
alone (`'quoted'` stays `'quoted'`). Every text maps to one cell and back. The one rule for
every download and export (`cxdash.downloads`, `cxdash.exports`).

**Lists.** A cause's reasons share one cell, separated by `;` (the export writes `; `; spaces
around each reason are dropped, empty items ignored). A `;` inside a reason is doubled:
`Billing;; refunds; Late delivery` is the two reasons `Billing; refunds` and `Late delivery`.

Each rule exists twice, in Python (the export; tests) and as SQL over a text expression (the
importer, which parses every value in DuckDB); tests hold the two to the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FORMULA_START = "=+-@"
_RISKY = r"(?:[\t\r]|\s*[=+\-@])"  # what a spreadsheet may run, after the apostrophes
_NEEDS_GUARD = re.compile(r"'*" + _RISKY)
_GUARDED = re.compile(r"'+" + _RISKY)
SEPARATOR = ";"
_PLACEHOLDER = "\ue000"  # a private-use character stands in for a doubled ";" while splitting


def neutralise(text: str) -> str:
    """The cell an exported text is written as (one `'` in front of a would-be formula)."""
    return "'" + text if _NEEDS_GUARD.match(text) else text


def restore(cell: str) -> str:
    """The text an imported cell holds: `neutralise` undone, exactly."""
    return cell[1:] if _GUARDED.match(cell) else cell


def join_list(items: Iterable[str]) -> str:
    """A list as one cell: items separated by "; ", a ";" inside an item doubled."""
    return "; ".join(item.replace(SEPARATOR, SEPARATOR * 2) for item in items)


def split_list(cell: str) -> list[str]:
    """The items of a cell written by `join_list` (or typed by hand as `a;b`)."""
    parts = cell.replace(SEPARATOR * 2, _PLACEHOLDER).split(SEPARATOR)
    items = (p.replace(_PLACEHOLDER, SEPARATOR).strip(" ") for p in parts)
    return [item for item in items if item]


def restore_sql(text: str) -> str:
    """SQL for `restore` over the text expression `text` (NULL stays NULL)."""
    return (f"CASE WHEN regexp_matches({text}, '^''+(?:[\\t\\r]|\\s*[=+\\-@])') "
            f"THEN substr({text}, 2) ELSE {text} END")  # fmt: skip


def split_list_sql(text: str) -> str:
    """SQL for `split_list` over the text expression `text`: a VARCHAR[] (NULL stays NULL)."""
    items = f"string_split(replace({text}, ';;', '{_PLACEHOLDER}'), ';')"
    return (f"list_filter(list_transform({items}, lambda x: trim(replace(x, '{_PLACEHOLDER}', "
            f"';'))), lambda x: x <> '')")  # fmt: skip
