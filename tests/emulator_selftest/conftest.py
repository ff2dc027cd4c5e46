"""Selftests use the emulator fixture directly (tests/conftest.py may also register the plugin)."""

from __future__ import annotations

from tests.emulator.pytest_plugin import emulator

__all__ = ["emulator"]
