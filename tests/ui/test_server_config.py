"""The server settings SECURITY.md relies on, as shipped in .streamlit/config.toml and as the
running Streamlit reads them."""

from __future__ import annotations

import tomllib
from pathlib import Path

import streamlit as st

CONFIG = Path(__file__).parents[2] / ".streamlit" / "config.toml"


def test_shipped_server_settings() -> None:
    config = tomllib.loads(CONFIG.read_text())
    assert config["server"]["address"] == "127.0.0.1"  # not every interface
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["maxUploadSize"] == 200
    assert config["browser"]["gatherUsageStats"] is False  # no telemetry
    assert config["client"]["disableDataExport"] is True  # grids' unguarded CSV export off


def test_streamlit_reads_them() -> None:
    # pytest runs from the repository, where Streamlit finds .streamlit/config.toml
    assert st.get_option("server.address") == "127.0.0.1"
    assert st.get_option("server.enableXsrfProtection") is True
    assert st.get_option("server.maxUploadSize") == 200
    assert st.get_option("client.disableDataExport") is True
