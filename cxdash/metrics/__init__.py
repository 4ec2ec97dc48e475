"""Metric catalogue, request model, SQL compiler and engine (no UI code here)."""

from __future__ import annotations
