"""Exceptions raised by the binding: one class per `titok_status`, all subclasses of TiTokError."""

from __future__ import annotations


class TiTokError(Exception):
    """A failed libtitok call; `status` is the header's status name, `message` the library's text."""

    status = "TITOK_E_INTERNAL"

    def __init__(self, message: str, status: str | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class InvalidArgumentError(TiTokError, ValueError):
    """Bad argument: NULL/empty, zero batch, wrong shape or dtype, unknown variant, wrong model kind."""

    status = "TITOK_E_INVALID_ARGUMENT"


class TiTokIOError(TiTokError):
    """A file that is missing or unreadable, or no weights on the search path."""

    status = "TITOK_E_IO"


class FormatError(TiTokError):
    """A file that is not a valid weight file or image, or does not fit its model."""

    status = "TITOK_E_FORMAT"


class UnsupportedError(TiTokError):
    """Something this build or this model cannot do."""

    status = "TITOK_E_UNSUPPORTED"


class OutOfMemoryError(TiTokError):
    """A buffer too large to size or allocate."""

    status = "TITOK_E_OUT_OF_MEMORY"


class InternalError(TiTokError):
    """A bug in the library."""

    status = "TITOK_E_INTERNAL"


class LibraryNotFoundError(TiTokError, ImportError):
    """libtitok.so could not be found or does not match this binding."""

    status = "TITOK_E_IO"


#: status value (titok_status) -> exception class
BY_STATUS = {
    1: InvalidArgumentError,
    2: TiTokIOError,
    3: FormatError,
    4: UnsupportedError,
    5: OutOfMemoryError,
    6: InternalError,
}
