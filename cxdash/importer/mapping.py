"""How a file's columns become contract fields: a small TOML format, or automatic matching.

    [fields]
    contact_id = "Ticket ID"
    created_at = ["Date", "Time"]      # two columns joined with a space
    [formats]
    created_at = "%d/%m/%Y %H:%M"      # strptime; without one, ISO or a detected d/m order
    [values.escalated]
    Y = "true"                         # source value → contract value, before typing
    [constants]
    channel = "phone"                  # the same value on every row
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from cxdash.importer.fields import auto_match


class MappingError(ValueError):
    pass


@dataclass(frozen=True)
class Mapping:
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    table: str | None = None

    @classmethod
    def auto(cls, table: str, columns: list[str]) -> Mapping:
        return cls(fields={f: (c,) for f, c in auto_match(table, columns).items()})

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
    def parse(cls, data: dict, where: str = "mapping") -> Mapping:
        fields: dict[str, tuple[str, ...]] = {}
        for name, source in dict(data.get("fields", {})).items():
            cols = (source,) if isinstance(source, str) else tuple(source)
            if not cols or not all(isinstance(c, str) for c in cols) or len(cols) > 2:
                raise MappingError(f"{where}: [fields] {name} must be a column or two columns")
            fields[name] = cols
        values = {k: {str(a): str(b) for a, b in v.items()}
                  for k, v in dict(data.get("values", {})).items()}  # fmt: skip
        return cls(
            fields=fields,
            formats={k: str(v) for k, v in dict(data.get("formats", {})).items()},
            values=values,
            constants={k: str(v) for k, v in dict(data.get("constants", {})).items()},
            table=data.get("table"),
        )

    def covers(self, name: str) -> bool:
        return name in self.fields or name in self.constants

    def sources(self) -> set[str]:
        return {c for cols in self.fields.values() for c in cols}

    def describe(self) -> dict[str, str]:
        out = {f: " + ".join(repr(c) for c in cols) for f, cols in self.fields.items()}
        out.update({f: f"constant {v!r}" for f, v in self.constants.items()})
        return out
