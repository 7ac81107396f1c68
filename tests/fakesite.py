"""A tiny static web server for tests: the shop-window site as Meta's image fetcher would see it.

    with FakeSite(tmp_path / "site") as site:
        (tmp_path / "site" / "ig").mkdir()
        (tmp_path / "site" / "ig" / "a.jpg").write_bytes(jpeg)   # written later: still served
        requests.get(site.url + "ig/a.jpg")                       # 200, image/jpeg
        assert site.requests == ["/ig/a.jpg"]

Files are read when asked for, so a file written after start() is served. Only files under `folder` are served;
anything else (a missing file, a folder, a path that climbs out) is a 404. GET and HEAD only.

Failure injection: `site.down = True` closes every connection without a reply (a site that is offline);
`site.wrong_type = True` serves JPEGs as text/html (a misconfigured host).
"""

from __future__ import annotations

import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive with Content-Length, as requests' connection pool expects
    disable_nagle_algorithm = True  # headers and body go out as two writes; without this each reply waits ~40 ms for an ACK

    def do_GET(self):
        try:
            self.server.site._handle(self)
        except OSError:
            self.close_connection = True  # the client went away

    do_HEAD = do_GET

    def log_message(self, format, *args):
        pass  # quiet


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # quiet


class FakeSite:
    """Serves the files under `folder` on 127.0.0.1 at `url` (ends with "/"). Context manager, or start()/stop()."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.url = ""
        self.down = False  # True: close each connection without a reply
        self.wrong_type = False  # True: JPEGs are served as text/html
        self._lock = threading.Lock()
        self._requests: list[str] = []
        self._server: _Server | None = None

    def start(self) -> FakeSite:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.site = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = None

    def __enter__(self) -> FakeSite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def requests(self) -> list[str]:
        """The paths asked for (without the query string), in order."""
        with self._lock:
            return list(self._requests)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        path = urlsplit(h.path).path
        with self._lock:
            self._requests.append(path)
        if self.down:
            h.close_connection = True  # no status line at all: the client sees the connection closed
            return
        file = self._file(path)
        if file is None:
            self._send(h, 404, b"Not found", "text/plain; charset=utf-8")
            return
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if self.wrong_type and content_type == "image/jpeg":
            content_type = "text/html; charset=utf-8"
        self._send(h, 200, file.read_bytes(), content_type)

    def _file(self, path: str) -> Path | None:
        root = self.folder.resolve()
        candidate = (root / unquote(path).lstrip("/")).resolve()
        if not candidate.is_relative_to(root) or not candidate.is_file():
            return None
        return candidate

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(body)
