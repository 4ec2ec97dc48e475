from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import worked_example as we
from tests.apptest import app_env  # noqa: F401 - a fixture for AppTest modules
from tests.storebuilder import build_bare_store, build_store


@pytest.fixture(scope="session")
def worked_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SPEC §3 worked example, written as cxdash writes stores."""
    path = tmp_path_factory.mktemp("worked") / "cxdash.duckdb"
    return build_store(path, we.CONTACTS, we.ORDERS, we.REASONS, we.ROOT_CAUSES)


@pytest.fixture(scope="session")
def worked_bare_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same rows as another tool would write them: contract tables and columns only."""
    path = tmp_path_factory.mktemp("worked_bare") / "contract_only.duckdb"
    return build_bare_store(path, we.CONTACTS, we.ORDERS, we.REASONS, we.ROOT_CAUSES)


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo store (20,000 contacts, fixed end date) shared by UI tests."""
    from cxdash.demo.generator import generate

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    generate(path, contacts=20_000, seed=3, end=dt.date(2026, 6, 30))
    return path


@pytest.fixture()
def app_store(demo_store: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The demo store as the app's store ($CXDASH_DB), with Streamlit's process-wide caches
    cleared before and after (they would answer from another test's store)."""
    import streamlit as st

    monkeypatch.setenv("CXDASH_DB", str(demo_store))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield demo_store
    st.cache_data.clear()
    st.cache_resource.clear()
