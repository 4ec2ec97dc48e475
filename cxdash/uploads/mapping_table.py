"""The mapping as a table a person edits, one row per contract field, and as the dict
`Mapping.parse` reads: what the page imports with and, written as TOML (tomli-w), the file
it offers for `cxdash import --mapping` are the same dict."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import polars as pl
import tomli_w

from cxdash.importer.events import EVENTS
from cxdash.importer.mapping import EventRules, Mapping, MessageRules
from cxdash.importer.messages import MESSAGES
from cxdash.schema import TABLES_BY_NAME, Column

NOT_MAPPED = "—"  # the mapping table's choice for "no column"; the grid shows "" as "None"


def fields_of(table: str) -> tuple[Column, ...]:
    """The contract fields a file for `table` can fill, in the contract's order."""
    forms = {"events": EVENTS, "messages": MESSAGES}  # input forms that become contacts
    return (forms.get(table) or TABLES_BY_NAME[table]).contract_columns


def required_fields(table: str) -> list[str]:
    return [c.name for c in fields_of(table) if c.required]


def settled(
    base: Mapping | None, table: str, columns: tuple[str, ...], dropped: dict[str, str]
) -> Mapping:
    """The mapping the check actually used: automatic matching (or the preset) minus the
    fields it left out and the fields whose columns the file does not have."""
    mapping = base or Mapping.auto(table, list(columns))
    if not mapping.fields:
        mapping = replace(mapping, fields=Mapping.auto(table, list(columns)).fields)
    names = {c.name for c in fields_of(table)}
    absent = {f for f, cols in mapping.fields.items() if not set(cols) <= set(columns)}
    absent |= {f for f, (c, _) in mapping.after_created.items() if c not in columns}
    foreign = {f for f in mapping.fields if f not in names}
    kept = mapping.without(set(dropped) | absent | foreign)
    return replace(kept, table=table, automatic=False, lenient=False)


def mapping_dict(mapping: Mapping) -> dict[str, Any]:
    """The TOML-like dict `Mapping.parse` reads, holding everything `mapping` says."""
    out: dict[str, Any] = {}
    if mapping.table:
        out["table"] = mapping.table
    sections: dict[str, dict[str, Any]] = {
        "fields": {f: cols[0] if len(cols) == 1 else list(cols)
                   for f, cols in mapping.fields.items()},
        "formats": dict(mapping.formats),
        "constants": dict(mapping.constants),
        "minutes_after_created": dict(mapping.minutes_after_created),
        "seconds_after_created": dict(mapping.seconds_after_created),
        "before_created": dict(mapping.before_created),
        "subtract": dict(mapping.subtract),
        "values": {f: dict(v) for f, v in mapping.values.items()},
        "when": {f: dict(v) for f, v in mapping.when.items()},
    }  # fmt: skip
    read: dict[str, Any] = {}
    if mapping.read.header is not None:
        read["header"] = mapping.read.header
    if mapping.read.names:
        read["names"] = list(mapping.read.names)
    if mapping.read.delimiter is not None:
        read["delimiter"] = mapping.read.delimiter
    sections["read"] = read
    if mapping.events != EventRules():
        sections["events"] = {
            "resolved": list(mapping.events.resolved),
            "responded": list(mapping.events.responded),
            "reopen": mapping.events.reopen,
            "transfer_on": mapping.events.transfer_on,
        }
    if mapping.messages != MessageRules():
        sections["messages"] = {"resolved": mapping.messages.resolved,
                                "quiet_hours": mapping.messages.quiet_hours}  # fmt: skip
    out.update({k: v for k, v in sections.items() if v})
    return out


def _notes(mapping: Mapping, name: str, dropped: dict[str, str]) -> str:
    notes = []
    if name in mapping.constants:
        notes.append(f"constant {mapping.constants[name]!r}")
    for field_name, (col, unit) in mapping.after_created.items():
        if field_name == name:
            notes.append(f"created_at + {col!r} in {'minutes' if unit == 60 else 'seconds'}")
    if mapping.values.get(name):
        notes.append(f"{len(mapping.values[name])} values translated")
    if name in mapping.subtract:
        notes.append(f"minus {mapping.subtract[name]:g}")
    for col, value in mapping.when.get(name, {}).items():
        notes.append(f"only where {col} = {value!r}")
    if name in dropped:
        notes.append(f"left out: {dropped[name]}")
    return "; ".join(notes)


def mapping_rows(
    table: str, mapping: Mapping, dropped: dict[str, str] | None = None,
    why: dict[str, str] | None = None,
) -> pl.DataFrame:
    """One row per contract field: is it required, which column(s) fill it, in which format,
    and what else the mapping does with it (after `why`, the reason a suggestion chose the
    column, when there is one). A field without a column shows NOT_MAPPED: the
    grid prints both null and "" as "None", which reads like a column of that name."""
    dropped = dropped or {}
    rows = []
    for col in fields_of(table):
        cols = mapping.fields.get(col.name, ())
        rows.append({
            "field": col.name, "required": col.required,
            "source column": cols[0] if cols else NOT_MAPPED,
            "second column": cols[1] if len(cols) > 1 else NOT_MAPPED,
            "format": mapping.formats.get(col.name, ""),
            "notes": "; ".join(n for n in ((why or {}).get(col.name, ""),
                                             _notes(mapping, col.name, dropped)) if n),
        })  # fmt: skip
    schema = {"field": pl.String, "required": pl.Boolean, "source column": pl.String,
              "second column": pl.String, "format": pl.String, "notes": pl.String}  # fmt: skip
    return pl.DataFrame(rows, schema=schema)


def _cell(value: object) -> str | None:
    """An editor cell as text; NOT_MAPPED, empty, None and NaN (pandas) all mean "nothing"."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return None if text in ("", NOT_MAPPED) else text


def edited_dict(base: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """`base` (a mapping_dict) with [fields] and [formats] as the edited rows say. A field
    given a column here no longer takes a constant or a duration from the base mapping."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    fields: dict[str, Any] = {}
    formats = {f: v for f, v in base.get("formats", {}).items()}
    for row in rows:
        name = row["field"]
        cols = [c for c in (_cell(row.get("source column")), _cell(row.get("second column")))
                if c is not None]  # fmt: skip
        if cols:
            fields[name] = cols[0] if len(cols) == 1 else cols
            for section in ("constants", "minutes_after_created", "seconds_after_created"):
                if name in out.get(section, {}):
                    del out[section][name]
        fmt = _cell(row.get("format"))
        if fmt is None:
            formats.pop(name, None)
        else:
            formats[name] = fmt
    out["fields"], out["formats"] = fields, formats
    return {k: v for k, v in out.items() if v or k == "fields"}


def unmapped_required(table: str, mapping_data: dict[str, Any]) -> list[str]:
    """Required fields the mapping gives no column, constant or duration."""
    covered = set()
    for section in ("fields", "constants", "minutes_after_created", "seconds_after_created"):
        covered |= set(mapping_data.get(section, {}))
    return [f for f in required_fields(table) if f not in covered]


def to_toml(data: dict[str, Any], header: str = "") -> str:
    """A mapping dict as TOML (top-level values, then one [table] per section), with
    `header` as comment lines above it."""
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return comments + ("\n" if comments else "") + tomli_w.dumps(data)
