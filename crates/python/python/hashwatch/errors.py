"""The exceptions hashwatch raises, so callers can catch them by kind.

Every one derives from :class:`HashwatchError`. Input that is wrong (a
malformed hash, a file that is not an image) also derives from
:class:`ValueError`, as Python code expects of bad values.
"""

from __future__ import annotations

import typing as t


class HashwatchError(Exception):
    """Anything hashwatch refuses or fails at."""


class InvalidHash(HashwatchError, ValueError):
    """A value is not a PDQ hash in any accepted form."""


class MediaError(HashwatchError, ValueError):
    """A file or buffer could not be hashed: not an image or video,
    corrupt, truncated, over a limit, or unreadable.

    ``code`` is the stable name of the reason (``unknown_format``,
    ``too_many_pixels``, ``decode`` …), the same the CLI and the service
    report; ``path`` names the file when there is one."""

    def __init__(self, message: str, code: str, path: t.Optional[str] = None) -> None:
        super().__init__(message, code, path)
        self.message = message
        self.code = code
        self.path = path

    def __str__(self) -> str:
        return self.message


class SnapshotError(HashwatchError, ValueError):
    """An index file is truncated, altered or not an index snapshot."""


class SignatureError(HashwatchError):
    """A signed answer (the blocklist) does not verify with the pinned key."""


class ApiError(HashwatchError):
    """``hashwatch serve`` refused a request. ``status`` is the HTTP status,
    ``code`` the service's stable error name, ``message`` its explanation."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, code, message)
        self.status = status
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


class AuthenticationError(ApiError):
    """401: the key is missing, unknown, expired or revoked."""


class PermissionDenied(ApiError):
    """403: the key's roles or tenant do not allow this."""


class NotFound(ApiError):
    """404: no such bank, content or route (or not visible to the key)."""


class Conflict(ApiError):
    """409, or HMA's 403 for a bank name that is taken: the change conflicts
    with what exists."""


class InvalidRequest(ApiError):
    """400, 413, 415, 422: the request itself is wrong or too large."""


class RateLimited(ApiError):
    """429: too many requests; ``retry_after`` is in seconds when given."""

    def __init__(
        self, status: int, code: str, message: str, retry_after: t.Optional[float] = None
    ) -> None:
        super().__init__(status, code, message)
        self.args = (status, code, message, retry_after)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: the service failed (it should not; please report it)."""


class ConnectionFailed(HashwatchError):
    """The service could not be reached, or the connection broke."""


class ProtocolError(HashwatchError):
    """The service's answer is not what the API promises (not JSON, too
    large, no sequence number): a proxy in the way, or not hashwatch."""
