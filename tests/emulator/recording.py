"""Records of REST calls, injected faults and event-driven waiters (no polling)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(slots=True)
class UploadedFile:
    """A multipart file part (files[n])."""

    field: str
    filename: str
    data: bytes
    content_type: str | None


@dataclass(slots=True)
class RecordedCall:
    """One REST request the bot made and the status it got."""

    index: int
    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[UploadedFile]
    headers: dict[str, str]
    status: int = 0
    response: Any = None
    unhandled: bool = False

    def matches(self, method: str, path_regex: str) -> bool:
        """Method equal (or '*') and regex searching the path (without /api/v10)."""
        return (method == "*" or method.upper() == self.method) and re.search(
            path_regex, self.path
        ) is not None


@dataclass(slots=True)
class Fault:
    """An injected failure for matching requests (`times` left; -1 forever)."""

    method: str
    path_regex: str
    status: int
    code: int = 0
    message: str | None = None
    times: int = 1
    retry_after: float = 0.05
    is_global: bool = False
    hits: int = 0

    def body(self) -> dict[str, Any]:
        """JSON the fault returns."""
        if self.status == 429:
            return {
                "message": self.message or "You are being rate limited.",
                "retry_after": self.retry_after,
                "global": self.is_global,
                "code": self.code,
            }
        return {"message": self.message or f"{self.status}: injected", "code": self.code}

    def headers(self) -> dict[str, str]:
        """429 headers discord.py expects (Via, Retry-After, X-RateLimit-*)."""
        if self.status != 429:
            return {}
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, round(self.retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": str(self.retry_after),
            "X-RateLimit-Bucket": "emulatorbucket",
            "X-RateLimit-Scope": "global" if self.is_global else "user",
        }
        if self.is_global:
            headers["X-RateLimit-Global"] = "true"
        return headers


@dataclass
class Waiters(Generic[T]):
    """Futures resolved by the first new item matching their predicate."""

    items: list[tuple[Callable[[T], bool], asyncio.Future[T]]] = field(default_factory=list)

    def add(self, predicate: Callable[[T], bool]) -> asyncio.Future[T]:
        """Register a waiter."""
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self.items.append((predicate, fut))
        return fut

    def notify(self, item: T) -> None:
        """Resolve every waiter whose predicate accepts `item`."""
        keep = []
        for predicate, fut in self.items:
            if fut.done():
                continue
            try:
                ok = predicate(item)
            except Exception as exc:
                fut.set_exception(exc)
                continue
            if ok:
                fut.set_result(item)
            else:
                keep.append((predicate, fut))
        self.items = keep
