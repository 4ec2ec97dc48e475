"""The core never imports Streamlit: only cxdash.ui (and app.py, pages/) may; the layers of
pyproject.toml's import-linter contracts hold; no import loop anywhere in cxdash."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

import cxdash

CORE = sorted(
    m.name
    for m in pkgutil.walk_packages(cxdash.__path__, "cxdash.")
    if not m.name.startswith("cxdash.ui") and not m.name.endswith("__main__")
)


def test_core_modules_exist() -> None:
    assert {"cxdash.cli", "cxdash.metrics.compiler", "cxdash.store"} <= set(CORE)


def test_core_does_not_import_streamlit() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {CORE!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'streamlit' or m.startswith('streamlit.'))\n"
        "print(','.join(bad))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "", f"core imported {proc.stdout.strip()}"


ROOT = Path(__file__).parents[1]


def test_the_layer_contracts_hold() -> None:
    """pyproject.toml's import-linter contracts: each layer imports only from those below it,
    and nothing outside cxdash.ui imports Streamlit or cxdash.ui (imports inside functions
    count)."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True,
                          text=True)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert "0 broken" in proc.stdout


def _import_graph() -> dict[str, set[str]]:
    graph = grimp.build_graph("cxdash", cache_dir=None)
    return {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_loop_anywhere_in_cxdash() -> None:
    """Not between layers (the contract) and not inside one either: every module of cxdash,
    imports inside functions included. A package's __init__ importing its own modules is
    not a loop here, as none of ours do."""
    edges = _import_graph()
    assert len(edges) > 90
    assert _cycles(edges) == []


def test_every_part_of_cxdash_is_in_the_contracts() -> None:
    """A new module or package must take its place in the layers, and in the list of those
    that may not import Streamlit, or the contracts would silently not check it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers, forbidden = config["contracts"]
    layered = {name.strip() for layer in layers["layers"] for name in layer.split("|")}
    parts = {f"cxdash.{m.name}" for m in pkgutil.iter_modules(cxdash.__path__)}
    assert parts - layered == set()
    assert layered - parts == set()  # no stale names either
    assert parts - set(forbidden["source_modules"]) == {"cxdash.ui", "cxdash.__main__"}
    assert set(forbidden["source_modules"]) <= parts


def test_every_chart_is_drawn_through_the_one_text_escaping_path() -> None:
    """Plotly draws a little HTML in chart text (links, styled spans that fetch): a figure
    reaches a page only through `cxdash.ui.figures.show` and the report only through
    `cxdash.charts.text.as_text` (issue 19)."""
    drawn = []
    for path in [*ROOT.glob("cxdash/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]:
        text = path.read_text()
        for n, line in enumerate(text.splitlines(), 1):
            if ".plotly_chart(" in line and path.name != "figures.py":
                drawn.append(f"{path.relative_to(ROOT)}:{n}")
            if ".to_html(" in line and "as_text(" not in line:
                drawn.append(f"{path.relative_to(ROOT)}:{n}")
    assert drawn == []


def test_every_static_table_is_drawn_through_the_one_escaping_path() -> None:
    """`st.table` renders cells and headers as Markdown: only `cxdash.ui.tables.static_table`
    calls it, escaping them (tests/browser/test_static_table_browser.py)."""
    drawn = [f"{path.relative_to(ROOT)}:{n}"
             for path in [*ROOT.glob("cxdash/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if "st.table(" in line and path.name != "tables.py"]  # fmt: skip
    assert drawn == []
