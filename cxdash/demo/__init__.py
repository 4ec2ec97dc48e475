"""Demo data: a year of contacts and orders with known effects, for trying cxdash out.

`generator.generate` is the entry point; `catalog` names the built-in effects so tests and
docs can find them.
"""

from __future__ import annotations
