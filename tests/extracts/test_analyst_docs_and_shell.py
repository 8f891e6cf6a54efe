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
