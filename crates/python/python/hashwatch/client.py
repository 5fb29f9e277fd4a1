"""A client for ``hashwatch serve``'s HTTP API (HMA 2.0-compatible).

Standard library only. Every refusal raises a subclass of
:class:`hashwatch.errors.ApiError` chosen by status; the service's stable
error ``code`` and ``message`` are on the exception. Blocklists are checked
against the publisher's pinned Ed25519 key before anything in them is
returned.
"""

from __future__ import annotations

import http.client
import json
import os
import typing as t
import urllib.error
import urllib.parse
import urllib.request
import uuid

from . import errors
from ._native import check_public_key, is_video, verify_blocklist

_BY_STATUS: t.Dict[int, t.Type[errors.ApiError]] = {
    400: errors.InvalidRequest,
    401: errors.AuthenticationError,
    403: errors.PermissionDenied,
    404: errors.NotFound,
    409: errors.Conflict,
    413: errors.InvalidRequest,
    415: errors.InvalidRequest,
    422: errors.InvalidRequest,
    429: errors.RateLimited,
}

# HMA answers 403 where a name is taken; these are conflicts whatever the status.
_CONFLICTS = {"bank_exists"}

#: The largest answer read (a whole blocklist or bank export fits).
MAX_ANSWER_BYTES = 512 << 20


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """The API never redirects; following one would send the key to
    wherever the redirect points."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        raise urllib.error.HTTPError(req.full_url, code, f"refused a redirect to {newurl}", headers, fp)


_OPENER = urllib.request.build_opener(_NoRedirects)


class Blocklist(t.NamedTuple):
    """A verified blocklist answer: ``entries`` are the lines (URLs or
    their SHA-256, or ``+``/``-`` changes for a delta), or the parsed JSON
    for ``format="json"``; ``seq`` is the sequence number to ask for the
    next delta from; ``public_key`` the key it verified with."""

    entries: t.Any
    seq: int
    public_key: str
    body: bytes


class Client:
    """``Client(base_url, api_key, *, blocklist_key=None, timeout=30)``.

    ``blocklist_key`` is the publisher's public key (64 hex digits, as
    ``hashwatch feed keygen`` printed it), pinned for :meth:`blocklist`.
    """

    def __init__(
        self,
        base_url: str,
        api_key: t.Optional[str] = None,
        *,
        blocklist_key: t.Optional[str] = None,
        timeout: float = 30.0,
    ) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        # A malformed key is a setup mistake: say so now, not at the first
        # blocklist as if its signature had failed.
        self.blocklist_key = check_public_key(blocklist_key) if blocklist_key else None
        self.timeout = timeout
        self._blocklist_seq: t.Dict[str, int] = {}

    # Transport.

    def _request(
        self,
        method: str,
        path: str,
        *,
        query: t.Optional[t.Mapping[str, t.Any]] = None,
        body: t.Optional[bytes] = None,
        content_type: t.Optional[str] = None,
    ) -> t.Tuple[bytes, t.Mapping[str, str]]:
        url = self.base_url + path
        if query:
            pairs = {k: _query_value(v) for k, v in query.items() if v is not None}
            url += "?" + urllib.parse.urlencode(pairs)
        request = urllib.request.Request(url, data=body, method=method)
        if self.api_key:
            request.add_unredirected_header("Authorization", f"Bearer {self.api_key}")
        if content_type:
            request.add_header("Content-Type", content_type)
        request.add_header("Accept", "application/json")
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                answer = response.read(MAX_ANSWER_BYTES + 1)
                if len(answer) > MAX_ANSWER_BYTES:
                    raise errors.ProtocolError(f"{method} {url}: the answer is over {MAX_ANSWER_BYTES} bytes")
                return answer, response.headers
        except urllib.error.HTTPError as e:
            raise _api_error(e) from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
            raise errors.ConnectionFailed(f"{method} {url}: {e}") from None

    def _json(self, method: str, path: str, **kwargs: t.Any) -> t.Any:
        body, _ = self._request(method, path, **kwargs)
        return _decode_json(body, path)

    def _send_json(self, method: str, path: str, payload: t.Any, **kwargs: t.Any) -> t.Any:
        return self._json(
            method,
            path,
            body=json.dumps(payload).encode(),
            content_type="application/json",
            **kwargs,
        )

    def _upload(
        self, path: str, file: t.Any, content_type: t.Optional[str], query: t.Mapping[str, t.Any]
    ) -> t.Any:
        data = _read(file)
        if content_type is None:
            # As hash_file tells them apart: by the first bytes.
            content_type = "video" if is_video(data[:1024]) else "photo"
        body, boundary = _multipart(content_type, data)
        return self._json(
            "POST",
            path,
            query=query,
            body=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )

    # The API.

    def status(self) -> str:
        """``GET /status``: ``"I-AM-ALIVE"`` once the service and its
        indexes are ready, as HMA answers; :class:`errors.ServerError`
        (503) before."""
        body, _ = self._request("GET", "/status")
        return body.decode("utf-8", "replace").strip()

    def hash(
        self,
        file: t.Any,
        *,
        content_type: t.Optional[str] = None,
        types: t.Optional[t.Sequence[str]] = None,
    ) -> t.Dict[str, str]:
        """``POST /h/hash``: the service's hashes of a file (a path, bytes
        or a binary file object), HMA's form: ``{"pdq": hex, "md5": hex}``
        for a photo, ``{"video_md5": …, "vpdq": …}`` for a video (told apart
        by the first bytes unless ``content_type`` says); ``types``
        chooses others (``["pdq", "md5", "sha256"]``). The file is
        uploaded: hash locally with :func:`hashwatch.hash_file` to keep it
        on this machine."""
        return self._upload("/h/hash", file, content_type, {"types": types})

    def lookup(
        self,
        signal: str,
        signal_type: str = "pdq",
        *,
        banks: t.Optional[t.Sequence[str]] = None,
    ) -> t.Dict[str, t.List[t.Dict[str, t.Any]]]:
        """``GET /m/lookup``: matches of one hash, by bank name:
        ``{"bank": [{"bank_content_id": 1, "distance": "3"}]}``."""
        return self._json(
            "GET",
            "/m/lookup",
            query={"signal_type": signal_type, "signal": signal, "banks": banks},
        )

    def lookup_file(
        self,
        file: t.Any,
        *,
        content_type: t.Optional[str] = None,
        banks: t.Optional[t.Sequence[str]] = None,
        types: t.Optional[t.Sequence[str]] = None,
    ) -> t.Dict[str, t.Any]:
        """``POST /m/lookup``: uploads a file; matches by signal type, then
        by bank."""
        return self._upload("/m/lookup", file, content_type, {"banks": banks, "types": types})

    def banks(self) -> t.List[t.Dict[str, t.Any]]:
        """``GET /c/banks``: the banks the key may see."""
        return self._json("GET", "/c/banks")

    def bank(self, name: str) -> t.Dict[str, t.Any]:
        """``GET /c/bank/<name>``."""
        return self._json("GET", f"/c/bank/{_segment(name)}")

    def create_bank(
        self,
        name: str,
        *,
        enabled_ratio: t.Optional[float] = None,
        kind: t.Optional[str] = None,
    ) -> t.Dict[str, t.Any]:
        """``POST /c/banks``: a new bank (``kind="negative"`` for known
        false positives)."""
        payload: t.Dict[str, t.Any] = {"name": name}
        if enabled_ratio is not None:
            payload["enabled_ratio"] = enabled_ratio
        if kind is not None:
            payload["kind"] = kind
        return self._send_json("POST", "/c/banks", payload)

    def delete_bank(self, name: str) -> t.Any:
        """``DELETE /c/bank/<name>``."""
        return self._json("DELETE", f"/c/bank/{_segment(name)}")

    def add_signals(
        self,
        bank: str,
        signals: t.Iterable[t.Union[str, t.Tuple[str, str]]],
        *,
        signal_type: str = "pdq",
        category: t.Optional[str] = None,
        source: t.Optional[str] = None,
    ) -> t.Dict[str, t.Any]:
        """``POST /c/bank/<name>/signals``: many hashes in one transaction
        (all or none). Items are hashes of ``signal_type`` or
        ``(signal_type, hash)`` pairs. Returns ``added``,
        ``already_present`` and the bank's new ``version``."""
        rows = []
        for item in signals:
            kind, value = (signal_type, item) if isinstance(item, str) else item
            rows.append({"signal_type": kind, "signal": value})
        payload: t.Dict[str, t.Any] = {"signals": rows}
        if category is not None:
            payload["category"] = category
        if source is not None:
            payload["source"] = source
        return self._send_json("POST", f"/c/bank/{_segment(bank)}/signals", payload)

    def blocklist(
        self,
        *,
        format: str = "sha256",
        since: t.Optional[int] = None,
        public_key: t.Optional[str] = None,
    ) -> Blocklist:
        """``GET /blocklist`` (or ``/blocklist/delta`` with ``since``),
        verified with the pinned key before it is read. ``format``:
        ``sha256`` (the key needs the ``blocklist`` role), ``plain`` URLs
        (``blocklist-urls``), or ``json``. Raises
        :class:`hashwatch.errors.SignatureError` when the answer is unsigned
        or the signature does not verify."""
        key = check_public_key(public_key) if public_key else self.blocklist_key
        if not key:
            raise ValueError(
                "pin the publisher's public key (blocklist_key=… or public_key=…): "
                "an unverified blocklist could block anything"
            )
        path = "/blocklist" if since is None else "/blocklist/delta"
        body, headers = self._request("GET", path, query={"format": format, "since": since})
        signature = headers.get("x-hashwatch-signature")
        if not signature:
            raise errors.SignatureError("the blocklist answer carries no signature")
        try:
            seq = int(headers.get("x-hashwatch-seq", ""))
        except ValueError:
            raise errors.ProtocolError(f"{path}: no sequence number in the answer") from None
        # The signature covers the question (whole list or delta since),
        # the sequence number and the body together.
        verify_blocklist(body, signature, key, since, seq)
        if format == "json":
            entries: t.Any = _decode_json(body, path)
        else:
            try:
                entries = [line for line in body.decode("utf-8").splitlines() if line]
            except UnicodeDecodeError as e:
                raise errors.ProtocolError(f"{path}: the list is not UTF-8: {e}") from None
        # A signature proves who wrote a list, not that it is the latest:
        # an older signed answer could be replayed. Never go backwards.
        last = self._blocklist_seq.get(key, 0)
        if seq < last:
            raise errors.SignatureError(
                f"the blocklist answer is at sequence {seq}, older than {last} already seen: a replay?"
            )
        self._blocklist_seq[key] = seq
        return Blocklist(entries=entries, seq=seq, public_key=key, body=body)


def _decode_json(body: bytes, path: str) -> t.Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError as e:
        raise errors.ProtocolError(f"{path}: the answer is not JSON: {e}") from None


def _query_value(value: t.Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _segment(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def _read(file: t.Any) -> bytes:
    if isinstance(file, (bytes, bytearray, memoryview)):
        return bytes(file)
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as f:
            return f.read()
    if hasattr(file, "read"):
        return file.read()
    raise TypeError(f"expected a path, bytes or a binary file, not {type(file).__name__}")


def _multipart(field: str, data: bytes) -> t.Tuple[bytes, str]:
    if field not in ("photo", "video"):
        raise ValueError(f"content_type is 'photo' or 'video', not {field!r}")
    boundary = uuid.uuid4().hex
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{field}"; filename="upload"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), boundary


def _seconds(value: t.Optional[str]) -> t.Optional[float]:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _api_error(e: urllib.error.HTTPError) -> errors.ApiError:
    raw = e.read()
    try:
        body = json.loads(raw)
        code, message = str(body.get("code", "error")), str(body.get("message", ""))
    except (ValueError, AttributeError):
        code, message = "error", raw.decode("utf-8", "replace")[:500]
    if e.code == 429:
        return errors.RateLimited(e.code, code, message, _seconds(e.headers.get("Retry-After")))
    if code in _CONFLICTS:
        return errors.Conflict(e.code, code, message)
    cls = _BY_STATUS.get(e.code, errors.ServerError if e.code >= 500 else errors.ApiError)
    return cls(e.code, code, message)
