"""How far an import is, for the page's progress bar, from the importer's phases."""

from __future__ import annotations

from cxdash.importer.results import Phase, Progress

# Where each phase starts on the bar: reading is most of an import's time.
_BAR_STARTS: dict[Phase, float] = {"reading": 0.0, "checking": 0.6, "writing": 0.75,
                                   "refreshing": 0.85, "saving": 0.95}  # fmt: skip


def bar_fraction(progress: Progress) -> float:
    """Roughly how far an import is (0–1), for a progress bar; DuckDB's own estimate moves
    it while the file is read."""
    if progress.phase == "reading" and progress.fraction is not None:
        return min(progress.fraction, 1.0) * _BAR_STARTS["checking"]
    return _BAR_STARTS[progress.phase]
