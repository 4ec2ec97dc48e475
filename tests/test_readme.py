"""README stays true: its test command is what CI runs, and it names every metric."""

from __future__ import annotations

import re
from pathlib import Path

from cxdash.metrics.catalogue import METRIC_IDS

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one() -> None:
    first_block = re.search(r"```bash\n(.*?)```", README, re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["python3 dev.py start", "python3 dev.py test"]
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == "python3 dev.py test"


def test_readme_lists_every_metric_id() -> None:
    missing = [
        m for m in METRIC_IDS
        if f"`{m}`" not in README and f"`_{m.rsplit('_', 1)[-1]}`" not in README
    ]  # fmt: skip
    assert missing == []
