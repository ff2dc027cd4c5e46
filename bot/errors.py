"""Errors: domain errors carry a translation key; startup errors, an operator message."""

from __future__ import annotations


class DomainError(Exception):
    """What the user asked for cannot be done; the error handler renders it, localized."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r}, **{self.params!r})"


class PermissionDenied(DomainError):
    """The invoker lacks the permission a command needs (checked at run time)."""


class StartupError(Exception):
    """The process cannot start; the message is printed as one line and the exit code is 2."""


class DatabaseError(StartupError):
    """The database file cannot be opened, is not SQLite, or is from a newer version."""


class InstanceLocked(StartupError):
    """Another bot process already uses this database."""
