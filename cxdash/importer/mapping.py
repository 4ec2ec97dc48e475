"""How a file's columns become contract fields: a small TOML format, a preset, or automatic
matching. Every section is optional; the full format, with an example of each part:

    table = "contacts"                 # contacts | orders | reasons | events | messages |
                                       # root_causes (--table wins)
    [read]
    header = false                     # the file has no header row …
    names = ["id", "opened", "closed"] # … so name its columns here (else column0, column1, …)
    delimiter = ";"                    # else detected
    [fields]
    contact_id = "Ticket ID"
    created_at = ["Date", "Time"]      # two columns joined with a space
    [formats]
    created_at = "%d/%m/%Y %H:%M"      # strptime; without one, ISO or a detected d/m order
    [values.escalated]
    Y = "true"                         # source value → contract value ("" = empty), before typing
    [constants]
    channel = "phone"                  # the same value on every row
    [minutes_after_created]
    first_response_at = "First reply time in minutes"   # a duration turned into a timestamp
    [seconds_after_created]
    first_response_at = "Speed of answer in seconds"
    [before_created]
    resolved_at = "clear"              # a source whose clock is known bad: empty such values
                                       # and count them (default "reject": the row is an error)
    [subtract]
    transfers = 1                      # e.g. Zendesk "Group stations" counts the first group
    [when.activity]
    field_name = "status"              # read the field only on rows where this column = value

Event logs (`table = "events"`) add the rules that turn events into one contact per case; see
`cxdash.importer.events` and docs/IMPORT.md "Event logs"; conversation logs (`table =
"messages"`) add `[messages]`: see `cxdash.importer.messages`.

Mappings may come from an upload in the app, so nothing in them is ever SQL: column names are
quoted identifiers and every value is a bound parameter.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from cxdash.importer.fields import auto_match


class MappingError(ValueError):
    pass


# What a file may hold: the store's tables, and two input forms that become contacts.
TABLES = ("contacts", "orders", "reasons", "events", "messages", "root_causes")
REOPEN_RULES = ("left_resolved", "resolved_again")
RESOLVED_RULES = ("last_outbound", "never")
TRANSFER_ON = ("group", "actor")


@dataclass(frozen=True)
class EventRules:
    """How events become a contact (defaults suit most ticket logs; all configurable)."""

    resolved: tuple[str, ...] = ("resolved", "solved", "closed", "resolve ticket")
    responded: tuple[str, ...] = ()
    reopen: str = "left_resolved"
    transfer_on: str = "group"


@dataclass(frozen=True)
class MessageRules:
    """How a conversation log becomes contacts (cxdash.importer.messages)."""

    resolved: str = "last_outbound"
    quiet_hours: float = 0.0


@dataclass(frozen=True)
class ReadOptions:
    header: bool | None = None  # None: detected
    names: tuple[str, ...] = ()
    delimiter: str | None = None


@dataclass(frozen=True)
class Mapping:
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    minutes_after_created: dict[str, str] = field(default_factory=dict)
    seconds_after_created: dict[str, str] = field(default_factory=dict)
    before_created: dict[str, str] = field(default_factory=dict)
    subtract: dict[str, float] = field(default_factory=dict)
    when: dict[str, dict[str, str]] = field(default_factory=dict)
    read: ReadOptions = field(default_factory=ReadOptions)
    events: EventRules = field(default_factory=EventRules)
    messages: MessageRules = field(default_factory=MessageRules)
    table: str | None = None
    automatic: bool = False  # built by auto-matching: fields that do not parse are dropped
    lenient: bool = False  # a preset: optional fields whose column is absent are dropped

    @classmethod
    def auto(cls, table: str, columns: list[str]) -> Mapping:
        return cls(fields={f: (c,) for f, c in auto_match(table, columns).items()},
                   automatic=True)  # fmt: skip

    @classmethod
    def load(cls, path: Path) -> Mapping:
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except OSError as exc:
            raise MappingError(f"{path}: {exc.strerror or exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise MappingError(f"{path}: not valid TOML ({exc})") from exc
        return cls.parse(data, str(path))

    @classmethod
    def preset(cls, name: str) -> Mapping:
        if name not in PRESETS:
            raise MappingError(f"no preset {name!r}; choose one of {', '.join(PRESETS)}")
        text = resources.files("cxdash.importer.presets").joinpath(f"{name}.toml").read_text()
        return replace(cls.parse(tomllib.loads(text), f"preset {name}"), lenient=True)

    @classmethod
    def parse(cls, data: dict[str, Any], where: str = "mapping") -> Mapping:
        def table_of(key: str) -> dict[str, Any]:
            value = data.get(key, {})
            if not isinstance(value, dict):
                raise MappingError(f"{where}: [{key}] must be a table of field = value")
            return value

        fields: dict[str, tuple[str, ...]] = {}
        for name, source in table_of("fields").items():
            cols = (source,) if isinstance(source, str) else tuple(source)
            if not cols or not all(isinstance(c, str) for c in cols) or len(cols) > 2:
                raise MappingError(f"{where}: [fields] {name} must be a column or two columns")
            fields[name] = cols
        def tables_of(key: str, example: str) -> dict[str, dict[str, str]]:
            out = {}
            for name, value in table_of(key).items():
                if not isinstance(value, dict):
                    raise MappingError(f"{where}: [{key}] {name} must be a table, e.g. "
                                       f"[{key}.{name}] {example}")  # fmt: skip
                out[name] = {str(a): str(b) for a, b in value.items()}
            return out

        values = tables_of("values", 'yes = "true"')
        when = tables_of("when", 'Type = "Incident"')
        subtract = {}
        for name, amount in table_of("subtract").items():
            if not isinstance(amount, int | float) or isinstance(amount, bool):
                raise MappingError(f"{where}: [subtract] {name} must be a number")
            subtract[name] = float(amount)
        table = data.get("table")
        if table is not None and table not in TABLES:
            raise MappingError(f"{where}: table must be one of {', '.join(TABLES)}")
        return cls(
            fields=fields,
            formats=_formats(table_of("formats"), where),
            values=values,
            constants={k: str(v) for k, v in table_of("constants").items()},
            minutes_after_created={k: str(v)
                                   for k, v in table_of("minutes_after_created").items()},
            seconds_after_created={k: str(v)
                                   for k, v in table_of("seconds_after_created").items()},
            before_created=_before_created(table_of("before_created"), where),
            subtract=subtract,
            when=when,
            read=_read_options(table_of("read"), where),
            events=_event_rules(table_of("events"), where),
            messages=_message_rules(table_of("messages"), where),
            table=table,
        )  # fmt: skip

    @property
    def after_created(self) -> dict[str, tuple[str, float]]:
        """field → (column, seconds per unit): timestamps given as a duration after creation."""
        out = {f: (c, 60.0) for f, c in self.minutes_after_created.items()}
        out.update({f: (c, 1.0) for f, c in self.seconds_after_created.items()})
        return out

    def covers(self, name: str) -> bool:
        return name in self.fields or name in self.constants or name in self.after_created

    def sources(self) -> set[str]:
        cols = {c for cols in self.fields.values() for c in cols}
        cols |= {c for c, _ in self.after_created.values()}
        cols |= {c for cond in self.when.values() for c in cond}
        return cols

    def describe(self) -> dict[str, str]:
        out = {f: " + ".join(repr(c) for c in cols) for f, cols in self.fields.items()}
        out.update({f: f"constant {v!r}" for f, v in self.constants.items()})
        out.update({f: f"created_at + {c!r} {'minutes' if unit == 60 else 'seconds'}"
                    for f, (c, unit) in self.after_created.items()})  # fmt: skip
        return out

    def without(self, names: set[str]) -> Mapping:
        """The same mapping with some fields unmapped (auto-matches that did not parse)."""
        return replace(
            self,
            fields={f: cols for f, cols in self.fields.items() if f not in names},
            minutes_after_created={f: c for f, c in self.minutes_after_created.items()
                                   if f not in names},
            seconds_after_created={f: c for f, c in self.seconds_after_created.items()
                                   if f not in names},
        )  # fmt: skip


def _strings(value: object, where: str, key: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise MappingError(f"{where}: [events] {key} must be a list of activity names")
    return tuple(items)


def _event_rules(data: dict[str, Any], where: str) -> EventRules:
    rules = EventRules()
    known = {"resolved", "responded", "reopen", "transfer_on"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise MappingError(f"{where}: [events] has no setting {', '.join(unknown)}; "
                           f"it takes {', '.join(sorted(known))}")  # fmt: skip
    reopen = data.get("reopen", rules.reopen)
    if reopen not in REOPEN_RULES:
        raise MappingError(f"{where}: [events] reopen must be one of {', '.join(REOPEN_RULES)}")
    transfer_on = data.get("transfer_on", rules.transfer_on)
    if transfer_on not in TRANSFER_ON:
        raise MappingError(f"{where}: [events] transfer_on must be one of "
                           f"{', '.join(TRANSFER_ON)}")  # fmt: skip
    return EventRules(
        resolved=_strings(data.get("resolved", list(rules.resolved)), where, "resolved"),
        responded=_strings(data.get("responded", list(rules.responded)), where, "responded"),
        reopen=reopen,
        transfer_on=transfer_on,
    )


def _message_rules(data: dict[str, Any], where: str) -> MessageRules:
    known = {"resolved", "quiet_hours"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise MappingError(f"{where}: [messages] has no setting {', '.join(unknown)}; "
                           f"it takes {', '.join(sorted(known))}")  # fmt: skip
    resolved = data.get("resolved", MessageRules.resolved)
    if resolved not in RESOLVED_RULES:
        raise MappingError(f"{where}: [messages] resolved must be one of "
                           f"{', '.join(RESOLVED_RULES)}")  # fmt: skip
    quiet = data.get("quiet_hours", MessageRules.quiet_hours)
    if not isinstance(quiet, int | float) or isinstance(quiet, bool) or quiet < 0:
        raise MappingError(f"{where}: [messages] quiet_hours must be a number of hours (0 or "
                           "more)")  # fmt: skip
    return MessageRules(resolved=resolved, quiet_hours=float(quiet))


def _before_created(data: dict[str, Any], where: str) -> dict[str, str]:
    for name, policy in data.items():
        if policy not in ("reject", "clear"):
            raise MappingError(f"{where}: [before_created] {name} must be \"reject\" or "
                               f"\"clear\"")  # fmt: skip
    return {k: str(v) for k, v in data.items()}


def _read_options(data: dict[str, Any], where: str) -> ReadOptions:
    header = data.get("header")
    if header is not None and not isinstance(header, bool):
        raise MappingError(f"{where}: [read] header must be true or false")
    names = data.get("names", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise MappingError(f"{where}: [read] names must be a list of column names")
    delimiter = data.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise MappingError(f"{where}: [read] delimiter must be one character")
    return ReadOptions(header=header, names=tuple(names), delimiter=delimiter)


PRESETS = ("generic", "zendesk", "freshdesk")


def _formats(table: dict[str, Any], where: str) -> dict[str, str]:
    """[formats]: each a strptime specifier DuckDB knows, refused here (naming the field)
    rather than by the store halfway through an import."""
    import contextlib

    import duckdb

    out: dict[str, str] = {}
    if not table:
        return out
    # its own connection: the module's default one is shared by the whole process
    with contextlib.closing(duckdb.connect()) as con:
        for name, spec in table.items():
            if not isinstance(spec, str) or not spec.strip():
                raise MappingError(f"{where}: [formats] {name} must be a date format such as "
                                   '"%d/%m/%Y %H:%M"')  # fmt: skip
            try:
                con.execute("SELECT try_strptime('2026-01-01', $f)", {"f": spec}).fetchall()
            except duckdb.Error as exc:
                first = str(exc).strip().splitlines()[0]
                raise MappingError(f"{where}: [formats] {name} = {spec!r} is not a date "
                                   f"format ({first.split(': ', 1)[-1]})") from None  # fmt: skip
            out[name] = spec
    return out
