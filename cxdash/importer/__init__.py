"""Bring your own data: read a file, map its columns onto SPEC §2, validate, write atomically."""

from __future__ import annotations
