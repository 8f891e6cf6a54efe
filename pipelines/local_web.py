"""Local web servers (the dashboard, `itsm docs`) answer only requests addressed to this machine by name.

DNS rebinding: a page on another site can make the browser resolve that site's own name to 127.0.0.1 and then
read the local server's answers as if they were its own. The browser still sends the site's name in the Host
header, so a server that answers only `localhost`, `127.0.0.1` and `[::1]` (any port) cannot be read that way.
Any other Host gets 403.
"""

from __future__ import annotations

from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

LOCAL_NAMES = ("localhost", "127.0.0.1", "[::1]")
WILDCARD_BINDS = ("", "0.0.0.0", "::", "[::]")
FORBIDDEN_MESSAGE = "Forbidden: this local server answers only requests to localhost, 127.0.0.1 or [::1]"


def allowed_names(bind_host: str) -> tuple[str, ...]:
    """Loopback names, plus the address the server was explicitly bound to (not a wildcard)."""
    bind = bind_host.strip().lower()
    if ":" in bind and not bind.startswith("["):
        bind = f"[{bind}]"  # an IPv6 address appears bracketed in a Host header
    return LOCAL_NAMES if bind in WILDCARD_BINDS or bind in LOCAL_NAMES else (*LOCAL_NAMES, bind)


def host_allowed(host_header: str | None, names: tuple[str, ...] = LOCAL_NAMES) -> bool:
    """Whether a request's Host header (`name` or `name:port`) names this machine by one of `names`."""
    host = (host_header or "").strip().lower()
    if host.startswith("["):
        name, _, port = host.partition("]")
        name += "]"
        if port and not port.startswith(":"):
            return False
        port = port[1:]
    else:
        name, _, port = host.partition(":")
    return name in names and (port == "" or port.isdigit())


class _LocalFolderHandler(SimpleHTTPRequestHandler):
    """Serves one folder's files, to local Host names only."""

    names: tuple[str, ...] = LOCAL_NAMES

    def _refused(self) -> bool:
        if host_allowed(self.headers.get("Host"), self.names):
            return False
        self.send_error(403, FORBIDDEN_MESSAGE)
        return True

    def do_GET(self) -> None:
        if not self._refused():
            super().do_GET()

    def do_HEAD(self) -> None:
        if not self._refused():
            super().do_HEAD()


def folder_server(folder: Path, host: str = "127.0.0.1", port: int = 8080) -> ThreadingHTTPServer:
    """A server for the files of `folder` on host:port (call serve_forever), refusing non-local Host headers."""
    handler = type("LocalFolderHandler", (_LocalFolderHandler,), {"names": allowed_names(host)})
    return ThreadingHTTPServer((host, port), partial(handler, directory=str(folder)))
