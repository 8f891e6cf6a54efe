"""Audit and analyst commands: `itsm extract`, `itsm verify`, `itsm close-period`, `itsm sql`, `itsm docs`,
`itsm publish-snapshot`. Thin wrappers over pipelines.extracts, which the Dagster assets call too."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Annotated

import typer

from pipelines.commands import invoke
from pipelines.settings import Settings

KIND_NAMES = ("sla-breaches", "changes", "availability", "data-quality", "lineage")


EXTRACT_HELP = "write a checksummed compliance extract (CSV + Parquet + manifest.json) for a date range"
VERIFY_HELP = "recompute an extract's SHA-256 hashes and report altered, missing or extra files"
CLOSE_HELP = "freeze a month's KPIs as reported in audit.kpi_snapshots (append-only), with an evidence extract"
SQL_HELP = "query the warehouse read-only: an interactive shell, or -c QUERY"
PUBLISH_HELP = "publish the read-only analyst snapshot of the warehouse now (runs do it after each success)"
DOCS_HELP = "serve the dbt docs (models, columns, lineage, exposures) on 127.0.0.1, building them when needed"


def register(app: typer.Typer) -> None:
    @app.command(
        "extract",
        short_help=EXTRACT_HELP,
        help=(
            "Write a checksummed compliance extract (CSV + Parquet + manifest.json) for a date range.\n\n"
            f"Kinds: {', '.join(KIND_NAMES)}. Dates are inclusive UTC calendar days. Person fields (caller, "
            "assignee, actor) are pseudonymized with HMAC-SHA256 keyed by ITSM_PSEUDONYM_KEY (required unless "
            "--no-pseudonymize); free-text comments are left out unless --include-comments. The same extract on "
            "the same data gives byte-identical data files. Nothing is written when the request is refused."
        ),
    )
    def extract(
        kind: Annotated[str, typer.Argument(help=f"one of: {', '.join(KIND_NAMES)}", show_default=False)],
        date_from: Annotated[str, typer.Option("--from", metavar="YYYY-MM-DD", help="first day (inclusive)")],
        date_to: Annotated[str, typer.Option("--to", metavar="YYYY-MM-DD", help="last day (inclusive)")],
        out: Annotated[Path, typer.Option(help="folder to create (must be new or empty, unless --overwrite)")],
        service: Annotated[str | None, typer.Option(help="only this service (where the kind has a service)")] = None,
        include_comments: Annotated[
            bool, typer.Option("--include-comments", help="include free-text comments")
        ] = False,
        allow_failed_checks: Annotated[
            bool,
            typer.Option(
                "--allow-failed-checks",
                help="extract even though the latest data-quality run failed a blocking check (recorded in the "
                "manifest)",
            ),
        ] = False,
        no_pseudonymize: Annotated[
            bool, typer.Option("--no-pseudonymize", help="write person fields in clear (recorded in the manifest)")
        ] = False,
        overwrite: Annotated[
            bool,
            typer.Option(
                "--overwrite",
                help="replace an earlier extract at --out: only a folder holding an extract's manifest.json and the "
                "files it lists (never a symbolic link, the warehouse or inbox folder, or a folder above them); the "
                "old extract stays intact until the new one is complete",
            ),
        ] = False,
        warehouse: Annotated[Path | None, typer.Option(help="DuckDB file to read (default: ITSM_WAREHOUSE)")] = None,
    ) -> None:
        invoke(cmd_extract, locals())

    @app.command(
        "verify",
        short_help=VERIFY_HELP,
        help=(
            "Recompute an extract's SHA-256 hashes and report altered, missing or extra files.\n\n"
            "Reads DIRECTORY/manifest.json (written by `itsm extract` or `itsm close-period`), hashes every data "
            "file again and prints one line per file that was ALTERED, is MISSING, is a SYMLINK (never read "
            "through) or is EXTRA (present but not listed), then OK or FAILED. Refused: a folder or manifest that "
            "is a symbolic link, a manifest that is not valid JSON, lacks a key, has a wrong type or lists no "
            "files, and names that are not plain file names inside the folder ('../x', absolute paths). To be sure "
            "the manifest itself was not rewritten, pass the manifest's own SHA-256 that `itsm extract` printed "
            "(and you kept elsewhere) with --manifest-sha256.\n\n"
            "Exit code 0 when every file matches manifest.json, 1 otherwise."
        ),
    )
    def verify(
        directory: Annotated[Path, typer.Argument(help="the extract folder (holds manifest.json)")],
        manifest_sha256: Annotated[
            str | None,
            typer.Option(
                "--manifest-sha256",
                metavar="HASH",
                help="also check manifest.json against this hash (e.g. from a close)",
            ),
        ] = None,
    ) -> None:
        invoke(cmd_verify, locals())

    @app.command(
        "close-period",
        short_help=CLOSE_HELP,
        help=(
            "Freeze a month's KPIs as reported in audit.kpi_snapshots (append-only), with an evidence extract.\n\n"
            "Reads marts.kpi_monthly_long (every monthly KPI mart), writes the month's KPIs as an extract with a "
            "manifest under ITSM_OUTPUT_DIR/extracts/period-close/, and appends them with the manifest's SHA-256 to "
            "audit.kpi_snapshots. A month already closed is refused unless --force (which appends a new snapshot; "
            "the earlier one is kept). marts.kpi_restatements then shows as-reported vs current values."
        ),
    )
    def close_period(
        period: Annotated[str, typer.Argument(metavar="YYYY-MM", help="month to close")],
        force: Annotated[bool, typer.Option("--force", help="close again: record a new as-reported snapshot")] = False,
        warehouse: Annotated[Path | None, typer.Option(help="DuckDB file (default: ITSM_WAREHOUSE)")] = None,
    ) -> None:
        invoke(cmd_close_period, locals())

    @app.command(
        "sql",
        short_help=SQL_HELP,
        help=(
            "Query the warehouse read-only: an interactive shell, or -c QUERY.\n\n"
            "Opens the analyst snapshot (<warehouse>.snapshot.duckdb, published after each successful run) "
            "read-only with file access disabled: writes, ATTACH and COPY TO are refused, and the live warehouse is "
            "never locked by an analyst. Schemas: marts (KPIs), staging, intermediate, reference, raw, dq, audit."
        ),
    )
    def sql(
        query: Annotated[
            str | None,
            typer.Option(
                "--command",
                "-c",
                metavar="QUERY",
                help="run one query, print the result and exit (without -c: an interactive "
                "shell; end statements with ';', quit with .quit, .exit or Ctrl-D)",
            ),
        ] = None,
        database: Annotated[
            Path | None, typer.Option(help="DuckDB file to open read-only (default: the analyst snapshot)")
        ] = None,
        max_rows: Annotated[int, typer.Option("--max-rows", help="rows printed per result")] = 100,
    ) -> None:
        invoke(cmd_sql, locals())

    @app.command(
        "publish-snapshot",
        short_help=PUBLISH_HELP,
        help=(
            "Publish the read-only analyst snapshot of the warehouse now (runs do it after each success).\n\n"
            "Copies the warehouse to <warehouse>.snapshot.duckdb, the file `itsm sql` and analysts' tools open, so "
            "they read a consistent state and never lock the live warehouse. Every successful `itsm run` publishes "
            "it; use this after changing the warehouse another way (e.g. `itsm ingest` or `itsm close-period`). "
            "Fails, changing nothing, while a run holds the warehouse."
        ),
    )
    def publish_snapshot() -> None:
        invoke(cmd_publish_snapshot, locals())

    @app.command(
        "docs",
        short_help=DOCS_HELP,
        help=(
            "Serve the dbt docs (models, columns, lineage, exposures) on 127.0.0.1, building them when needed.\n\n"
            "Serves ITSM_OUTPUT_DIR/dbt_docs on 127.0.0.1, answering only requests to localhost, 127.0.0.1 or "
            "[::1]. The docs are generated (`dbt docs generate`, also a single static_index.html) only when missing "
            "or older than the warehouse or a dbt file; otherwise the site built before is served at once."
        ),
    )
    def docs(
        port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 8080,
        no_serve: Annotated[bool, typer.Option("--no-serve", help="only build the docs (when needed)")] = False,
        rebuild: Annotated[
            bool, typer.Option("--rebuild", help="generate the docs even when they are current")
        ] = False,
    ) -> None:
        invoke(cmd_docs, locals())


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def cmd_extract(args: argparse.Namespace) -> int:
    import duckdb

    from pipelines.extracts.request import ExtractError, ExtractRequest, parse_date
    from pipelines.extracts.runner import run_extract

    settings = Settings.from_env()
    try:
        request = ExtractRequest(
            kind=args.kind,
            date_from=parse_date(args.date_from),
            date_to=parse_date(args.date_to),
            service=args.service,
            pseudonymize=not args.no_pseudonymize,
            include_comments=args.include_comments,
            allow_failed_checks=args.allow_failed_checks,
        )
        result = run_extract(
            request,
            args.out,
            (args.warehouse or settings.warehouse_path).resolve(),
            settings.pseudonym_key,
            overwrite=args.overwrite,
            inbox=settings.inbox_dir,
        )
    except ExtractError as err:
        return _fail(str(err))
    except duckdb.Error as err:
        # A mart whose columns changed under the extract: say so; the runner has removed any partial output.
        return _fail(f"the warehouse query failed, nothing written: {err}")
    except OSError as err:
        # Disk full, no permission: the partial folder is gone and an earlier extract at --out is as it was.
        return _fail(f"writing the extract failed ({err}); nothing changed at --out {args.out}")
    for name, rows in result.rows.items():
        print(f"{name}: {rows} rows")
    print(f"wrote {result.out_dir}\nmanifest sha256: {result.manifest_sha256}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from pipelines.extracts.request import ExtractError
    from pipelines.extracts.verify import verify_extract

    try:
        report = verify_extract(args.directory, args.manifest_sha256)
    except ExtractError as err:
        return _fail(str(err))
    for label, names in (("ALTERED", report.altered), ("MISSING", report.missing), ("EXTRA", report.extra)):
        for name in names:
            print(f"{label}: {name}")
    for name in report.symlinks:
        print(f"SYMLINK: {name} (a symbolic link, not read: an extract holds only regular files)")
    if report.manifest_matches_expected is False:
        print(f"ALTERED: manifest.json (sha256 {report.manifest_sha256} differs from the expected hash)")
    verdict = "OK" if report.ok else "FAILED"
    print(f"{verdict}: {len(report.checked)} file(s) match manifest.json (sha256 {report.manifest_sha256})")
    return 0 if report.ok else 1


def cmd_close_period(args: argparse.Namespace) -> int:
    from pipelines.extracts.period_close import close_period
    from pipelines.extracts.request import ExtractError

    settings = Settings.from_env()
    try:
        result = close_period(
            args.period, (args.warehouse or settings.warehouse_path).resolve(), settings.extracts_dir, args.force
        )
    except ExtractError as err:
        return _fail(str(err))
    again = " (forced: replaces the earlier as-reported figures, which are kept)" if result.forced else ""
    print(f"closed {result.period}: snapshot {result.snapshot_id}, {result.rows} KPI values{again}")
    print(f"evidence: {result.extract.out_dir}\nmanifest sha256: {result.extract.manifest_sha256}")
    return 0


def cmd_publish_snapshot(args: argparse.Namespace) -> int:
    import duckdb

    from pipelines.extracts.analyst import publish_snapshot

    settings = Settings.from_env()
    if not settings.warehouse_path.exists():
        return _fail(f"no warehouse at {settings.warehouse_path}: run `itsm run` first")
    try:
        path = publish_snapshot(settings.warehouse_path)
    except duckdb.IOException as err:
        return _fail(f"cannot publish now (is a run writing?): {err}")
    print(f"published {path}")
    return 0


QUIT_COMMANDS = (".quit", ".exit")


def split_statements(buffer: str) -> tuple[list[str], str]:
    """Complete statements (ending with ';') and the unfinished rest.

    The ends are the ';' that DuckDB's own tokenizer reads as the statement separator, so a ';' inside a string
    ('a;b', $$a;b$$), a quoted name ("a;b") or a comment does not end a statement, and an unterminated string
    keeps the statement open until its quote is closed."""
    import duckdb

    ends = [pos for pos, kind in duckdb.tokenize(buffer) if kind == duckdb.token_type.operator and buffer[pos] == ";"]
    statements, start = [], 0
    for end in ends:
        if text := buffer[start:end].strip():
            statements.append(text)
        start = end + 1
    return statements, buffer[start:]


def _run_and_print(conn, query: str, max_rows: int) -> None:
    relation = conn.sql(query)
    if relation is not None:
        relation.show(max_rows=max_rows, max_width=200)


def cmd_sql(args: argparse.Namespace) -> int:
    import duckdb

    from pipelines.extracts.analyst import analyst_connection
    from pipelines.extracts.connection import snapshot_path
    from pipelines.extracts.request import ExtractError

    settings = Settings.from_env()
    database = (args.database or snapshot_path(settings.warehouse_path)).resolve()
    try:
        with analyst_connection(database) as conn:
            if args.query is not None:
                try:
                    _run_and_print(conn, args.query, args.max_rows)
                except duckdb.Error as err:
                    return _fail(f"{err} (this connection is read-only)")
                return 0
            print(f"{database} (read-only). End statements with ';'. .quit, .exit or Ctrl-D quits.")
            buffer = ""
            while True:
                try:
                    line = input("itsm-sql> " if not buffer.strip() else "      ...> ")
                except EOFError:
                    print()
                    return 0
                if not buffer.strip() and line.strip() in QUIT_COMMANDS:
                    return 0
                statements, buffer = split_statements(buffer + "\n" + line)
                for statement in statements:
                    try:
                        _run_and_print(conn, statement, args.max_rows)
                    except duckdb.Error as err:
                        print(f"error: {err}", file=sys.stderr)
    except ExtractError as err:
        return _fail(str(err))


def cmd_docs(args: argparse.Namespace) -> int:
    from pipelines.dbt_docs import docs_dir, generate_docs, stale_reason

    settings = Settings.from_env()
    target = docs_dir(settings)
    reason = "--rebuild given" if args.rebuild else stale_reason(target, settings.warehouse_path)
    if reason is None:
        print(f"docs in {target} are current (built after the last change to the warehouse and the dbt project)")
    else:
        print(f"building the dbt docs: {reason}", flush=True)
        if generate_docs(settings, target) != 0:
            return _fail("dbt docs generate failed (is a run writing to the warehouse? see the output above)")
        print(f"docs built in {target} (single file: {target / 'static_index.html'})")
    if args.no_serve:
        return 0
    from pipelines.local_web import folder_server

    # Served here rather than by `dbt docs serve`, which answers any Host header (see pipelines/local_web.py).
    try:
        server = folder_server(target, "127.0.0.1", args.port)
    except OSError as err:
        return _fail(f"cannot serve on 127.0.0.1:{args.port} ({err}): choose another --port")
    print(f"serving on http://127.0.0.1:{args.port} (Ctrl-C stops)", flush=True)
    with server:
        server.serve_forever()
    return 0
