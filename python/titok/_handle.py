"""Lifetime of a library handle shared by Model and Generator: close once, context manager, __del__."""

from __future__ import annotations

import threading
from typing import Optional

from .errors import InvalidArgumentError


class NativeHandle:
    """Owns one handle of libtitok; subclasses set `_what` and define `_free_handle(handle)`."""

    _what = "handle"
    _handle: Optional[int] = None

    def _init_handle(self, handle: Optional[int]) -> None:
        self._lock = threading.Lock()
        self._handle = handle

    def close(self) -> None:
        """Frees the handle. Calls in flight on other threads finish first; later calls raise."""
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        with lock:
            handle, self._handle = self._handle, None
        if handle is not None:
            self._free_handle(handle)

    @property
    def closed(self) -> bool:
        return getattr(self, "_handle", None) is None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        if getattr(self, "_handle", None) is not None:
            try:
                self.close()
            except Exception:  # interpreter shutdown: the library may already be gone
                pass

    def _live(self) -> int:
        handle = self._handle
        if handle is None:
            raise InvalidArgumentError(f"the {self._what} is closed")
        return handle
