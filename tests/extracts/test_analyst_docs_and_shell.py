"""`itsm docs` builds and serves the dbt docs on 127.0.0.1; `itsm sql` as an interactive shell."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from audit_cli import ITSM

from pipelines.extracts.analyst import publish_snapshot


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def host_address() -> str | None:
    """This host's outward IP address (a UDP "connect" sends nothing), or None without a network."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("10.255.255.255", 1))
            return sock.getsockname()[0]
        except OSError:
            return None


def env_for(warehouse: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ITSM_")}
    env.update(ITSM_WAREHOUSE=str(warehouse), ITSM_OUTPUT_DIR=str(warehouse.parent / "build"))
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    return env


@pytest.mark.slow  # `dbt docs generate` on the project
def test_docs_are_built_and_served_on_localhost(hand_warehouse: Path):
    port = free_port()
    server = subprocess.Popen(
        [str(ITSM), "docs", "--port", str(port)],
        env=env_for(hand_warehouse),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so the dbt server child is stopped with it
    )
    try:
        deadline, page = time.monotonic() + 120, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=2) as response:
                    page = response.read()
                break
            except OSError:
                time.sleep(0.5)
        assert page is not None, "docs server did not answer"
        assert b"dbt" in page.lower()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/manifest.json", timeout=5) as response:
            manifest = json.loads(response.read())
        models = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}
        assert {"kpi_restatements", "kpi_monthly_long", "fct_change"} <= models
        restatements = next(n for n in manifest["nodes"].values() if n["name"] == "kpi_restatements")
        assert restatements["schema"] == "marts"
        assert "difference" in restatements["columns"]  # column docs from the yml
        static = hand_warehouse.parent / "build" / "dbt_docs" / "static_index.html"
        assert static.stat().st_size > 100_000  # the single-file version for offline reading
        # Bound to the loopback interface only: nothing answers on this host's network address.
        address = host_address()
        if address and not address.startswith("127."):
            with socket.socket() as sock:
                sock.settimeout(2)
                assert sock.connect_ex((address, port)) != 0
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_interactive_sql_shell(hand_warehouse: Path):
    publish_snapshot(hand_warehouse)
    session = "select count(*) as tickets\nfrom raw.tickets;\ncreate table marts.x (i int);\nselect 41 + 1 as answer;\n"
    proc = subprocess.run(
        [str(ITSM), "sql"], input=session, env=env_for(hand_warehouse), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0  # Ctrl-D (end of input) ends the session normally
    assert "read-only" in proc.stdout
    assert "tickets" in proc.stdout and "3" in proc.stdout  # a statement spread over two lines
    assert "read-only mode" in proc.stderr  # the write is refused...
    assert "42" in proc.stdout  # ...and the session goes on


def test_statements_end_only_at_a_semicolon_outside_strings_names_and_comments():
    from pipelines.commands.audit import split_statements

    buffer = "select ';' as semi, 'a;b' as t, \"x;y\" from z; /* ; */ select $$c;d$$; select 'open;"
    statements, rest = split_statements(buffer)
    assert statements == ["select ';' as semi, 'a;b' as t, \"x;y\" from z", "/* ; */ select $$c;d$$"]
    assert rest == " select 'open;"  # an unterminated string keeps the statement open
    assert split_statements(rest + "';") == (["select 'open;'"], "")


def test_interactive_sql_shell_reads_semicolons_in_quotes_and_quits_on_dot_quit(hand_warehouse: Path):
    publish_snapshot(hand_warehouse)
    session = "select 'a;b' as quoted,\n'c;' || 'd' as joined;\n.quit\nselect 'after quit' as never;\n"
    proc = subprocess.run(
        [str(ITSM), "sql"], input=session, env=env_for(hand_warehouse), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "a;b" in proc.stdout and "c;d" in proc.stdout  # one statement, its strings whole
    assert proc.stderr == ""  # no half-statement was sent to DuckDB
    assert "after quit" not in proc.stdout


def get_status(port: int, host_header: str | None) -> int:
    """GET / from a server on 127.0.0.1:port with this Host header (None: no Host header at all)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.putrequest("GET", "/index.html", skip_host=True)
        if host_header is not None:
            conn.putheader("Host", host_header)
        conn.endheaders()
        return conn.getresponse().status
    finally:
        conn.close()


def test_docs_server_answers_only_requests_to_local_host_names(tmp_path: Path):
    # DNS rebinding: evil.example resolved to 127.0.0.1 reaches the port, but its name is in the Host header.
    import threading

    from pipelines.local_web import folder_server

    (tmp_path / "index.html").write_text("<html>dbt docs</html>")
    server = folder_server(tmp_path, "127.0.0.1", 0)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "localhost", "LOCALHOST:1"):
            assert get_status(port, host) == 200, host
        for host in (f"evil.example:{port}", "evil.example", f"localhost.evil.example:{port}",
                     f"127.0.0.1.nip.io:{port}", "localhost:80@evil.example", "[::1]evil", "", None):  # fmt: skip
            assert get_status(port, host) == 403, host
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
