"""hashwatch.Client against a real `hashwatch serve` on loopback."""

from __future__ import annotations

import os
import pathlib
import subprocess
import time
import urllib.request

import pytest

import hashwatch
from hashwatch import errors
from conftest import CORPUS, ROOT


def _binary() -> pathlib.Path:
    path = pathlib.Path(os.environ.get("HASHWATCH_BIN", ROOT / "target" / "release" / "hashwatch"))
    if not path.exists():
        pytest.skip(f"no hashwatch binary at {path} (build it, or set HASHWATCH_BIN)")
    return path


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    binary = _binary()
    work = tmp_path_factory.mktemp("serve")
    db = work / "h.db"

    def run(*args: str) -> str:
        return subprocess.run(
            [str(binary), "--db", str(db), *args], check=True, capture_output=True, text=True
        ).stdout.strip()

    admin = run("key", "create", "--name", "python-admin", "--role", "admin", "--role", "curator",
                "--role", "matcher", "--role", "blocklist-urls")
    matcher = run("key", "create", "--name", "python-matcher", "--role", "matcher")
    public_key = run("feed", "keygen", "--out", str(work / "feed.key"))
    other_key = run("feed", "keygen", "--out", str(work / "other.key"))
    out = open(work / "serve.out", "w")
    log = open(work / "serve.log", "w")
    server = subprocess.Popen(
        [str(binary), "--db", str(db), "serve", "--listen", "127.0.0.1:0",
         "--feed-key", str(work / "feed.key"), "--secrets-key-file", str(work / "secrets.key"),
         "--rate-limit", "0"],
        stdout=out, stderr=log,
    )
    try:
        base = None
        for _ in range(300):
            text = (work / "serve.out").read_text()
            if "listening on " in text:
                base = text.split("listening on ", 1)[1].split()[0]
                break
            time.sleep(0.05)
        assert base, (work / "serve.log").read_text()
        yield base, admin, matcher, public_key.split()[-1], other_key.split()[-1]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_banks_signals_and_lookup(service):
    base, admin, matcher, _, _ = service
    client = hashwatch.Client(base, admin)
    assert client.status() == "I-AM-ALIVE"
    client.create_bank("PY_KNOWN")
    assert "PY_KNOWN" in [b["name"] for b in client.banks()]
    with pytest.raises(errors.Conflict):
        client.create_bank("PY_KNOWN")
    known = hashwatch.hash_file(CORPUS / "images" / "jpg_astronaut_q75_420.jpg")
    added = client.add_signals("PY_KNOWN", [known["pdq"], ("md5", known["md5"])])
    assert added["added"] == 2
    edited = hashwatch.hash_file(CORPUS / "images" / "sk_astronaut.png")
    distance = hashwatch.distance(known["pdq"], edited["pdq"])
    assert 0 < distance <= 31
    looked = hashwatch.Client(base, matcher).lookup(edited["pdq"])
    assert [int(m["distance"]) for m in looked["PY_KNOWN"]] == [distance]
    assert hashwatch.Client(base, matcher).lookup("0" * 64) == {}


def test_uploads_hash_as_the_library_does(service):
    base, admin, _, _, _ = service
    client = hashwatch.Client(base, admin)
    path = CORPUS / "images" / "jpg_hubble_q70.jpg"
    local = hashwatch.hash_file(path)
    assert client.hash(path)["pdq"] == local["pdq"]
    both = client.hash(path.read_bytes(), types=["pdq", "md5"])
    assert (both["pdq"], both["md5"]) == (local["pdq"], local["md5"])
    client.create_bank("PY_UPLOADS")
    client.add_signals("PY_UPLOADS", [local["pdq"]])
    with path.open("rb") as f:
        found = client.lookup_file(f, banks=["PY_UPLOADS"])
    assert [int(m["distance"]) for m in found["pdq"]["PY_UPLOADS"]] == [0]
    video = CORPUS / "videos" / "h264.mp4"
    assert client.hash(video)["video_md5"] == hashwatch.hash_file(video)["video_md5"]
    with pytest.raises(errors.InvalidRequest) as raised:
        client.hash(b"not a picture")
    assert raised.value.status in (400, 415, 422) and raised.value.code


def test_refusals_are_typed(service):
    base, admin, matcher, _, _ = service
    with pytest.raises(errors.AuthenticationError) as raised:
        hashwatch.Client(base, "hw_not_a_key").banks()
    assert raised.value.status == 401
    with pytest.raises(errors.PermissionDenied):
        hashwatch.Client(base, matcher).create_bank("PY_FORBIDDEN")
    with pytest.raises(errors.NotFound):
        hashwatch.Client(base, admin).bank("PY_NO_SUCH_BANK")
    with pytest.raises(errors.InvalidRequest):
        hashwatch.Client(base, admin).add_signals("PY_KNOWN", ["not a hash"])
    with pytest.raises(errors.ConnectionFailed):
        hashwatch.Client("http://127.0.0.1:9", admin, timeout=5).banks()
    with pytest.raises(ValueError):
        hashwatch.Client("file:///etc/passwd", admin)


def test_the_blocklist_is_verified_with_the_pinned_key(service):
    base, admin, _, public_key, other_key = service
    client = hashwatch.Client(base, admin, blocklist_key=public_key)
    listed = client.blocklist(format="json")
    assert listed.public_key == public_key and "urls" in listed.entries
    plain = client.blocklist(format="plain")
    assert plain.seq == listed.seq
    client.blocklist(since=0, format="plain")
    with pytest.raises(errors.SignatureError):
        client.blocklist(public_key=other_key)
    # A malformed pinned key is a setup mistake, refused at once.
    with pytest.raises(ValueError):
        hashwatch.Client(base, admin, blocklist_key="zz")
    with pytest.raises(ValueError):
        client.blocklist(public_key="0" * 63)
    request = urllib.request.Request(base + "/blocklist?format=plain", headers={"Authorization": f"Bearer {admin}"})
    with urllib.request.urlopen(request) as response:
        body, signature = response.read(), response.headers["x-hashwatch-signature"]
        seq = int(response.headers["x-hashwatch-seq"])
    verify = hashwatch._native.verify_blocklist
    verify(body, signature, public_key, None, seq)
    for wrong in [
        (body + b"https://example.org/\n", None, seq),  # altered
        (body, 0, seq),  # the whole list passed off as a delta
        (body, None, seq + 1),  # at another sequence number
    ]:
        with pytest.raises(errors.SignatureError):
            verify(wrong[0], signature, public_key, wrong[1], wrong[2])
    # An empty delta is signed as a delta: it cannot stand in for the list.
    delta = urllib.request.Request(
        base + f"/blocklist/delta?since={seq}&format=plain", headers={"Authorization": f"Bearer {admin}"}
    )
    with urllib.request.urlopen(delta) as response:
        empty, empty_signature = response.read(), response.headers["x-hashwatch-signature"]
    assert empty == b""
    verify(empty, empty_signature, public_key, seq, seq)
    with pytest.raises(errors.SignatureError):
        verify(empty, empty_signature, public_key, None, seq)
    with pytest.raises(ValueError):
        hashwatch.Client(base, admin).blocklist()


class _Fake:
    """A local HTTP server answering every request with one canned answer,
    recording what it was sent."""

    def __init__(self, status, headers, body):
        import http.server
        import threading

        seen = self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                seen.append(dict(self.headers))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()


def test_the_key_never_follows_a_redirect():
    elsewhere = _Fake(200, {"Content-Type": "application/json"}, b"[]")
    redirecting = _Fake(302, {"Location": elsewhere.url + "/c/banks"}, b"")
    try:
        with pytest.raises(errors.ApiError) as raised:
            hashwatch.Client(redirecting.url, "hw_secret").banks()
        assert raised.value.status == 302
        assert redirecting.seen[0]["Authorization"] == "Bearer hw_secret"
        assert elsewhere.seen == []
    finally:
        redirecting.close()
        elsewhere.close()


def test_answers_that_break_the_api_are_protocol_errors():
    portal = _Fake(200, {"Content-Type": "text/html"}, b"<html>sign in to the wifi</html>")
    try:
        with pytest.raises(errors.ProtocolError):
            hashwatch.Client(portal.url, "k").banks()
    finally:
        portal.close()


def test_an_older_blocklist_is_refused_as_a_replay(service):
    base, admin, _, public_key, other_key = service
    client = hashwatch.Client(base, admin, blocklist_key=public_key)
    first = client.blocklist(format="json")
    # As if a newer list had been seen: the same signed answer is now old.
    client._blocklist_seq[public_key] = first.seq + 1
    with pytest.raises(errors.SignatureError):
        client.blocklist(format="json")
