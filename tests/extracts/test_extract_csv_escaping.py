"""CSV formula injection: text a spreadsheet would run as a formula is escaped in the CSV files (OWASP's rule),
the Parquet files keep every value exact, and the manifest still verifies."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
from audit_cli import rows

from pipelines.extracts.writer import CSV_TEXT_ESCAPING, csv_ready

OCTOBER = ["--from", "2026-10-01", "--to", "2026-10-31"]
FORMULA = '=HYPERLINK("http://x","y")'


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_formula_typed_into_a_ticket_reaches_the_csv_escaped_and_the_parquet_exact(
    cli, hand_warehouse: Path, tmp_path: Path
):
    # T1 breached its resolution clock in October (see audit_rows); its group and the customer's comment are
    # text an attacker can type into the ITSM tool.
    with duckdb.connect(str(hand_warehouse)) as conn:
        conn.execute("update raw.tickets set assignment_group = ? where ticket_id = 'T1'", [FORMULA])
        conn.execute("update raw.surveys set comment = ? where ticket_id = 'T1'", ["@SUM(1+1)*cmd|' /C calc'!A0"])
    out = tmp_path / "x"
    proc = cli(["extract", "sla-breaches", *OCTOBER, "--include-comments", "--out", str(out)], hand_warehouse)
    assert proc.returncode == 0, proc.stderr
    [breach] = csv_rows(out / "sla_breaches.csv")
    assert breach["assignment_group"] == "'" + FORMULA
    assert breach["survey_comment"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    # Numbers stay numbers: a spreadsheet still sums them.
    assert breach["target_seconds"].lstrip("-").isdigit()
    [exact] = rows(out / "sla_breaches.parquet")
    assert exact["assignment_group"] == FORMULA
    assert exact["survey_comment"] == "@SUM(1+1)*cmd|' /C calc'!A0"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["csv_text_escaping"] == CSV_TEXT_ESCAPING
    cells = {d["name"]: d["csv_cells_escaped"] for d in manifest["datasets"]}
    assert cells == {"sla_breaches": 2, "sla_breach_trace": 0}
    assert cli(["verify", str(out)], hand_warehouse).returncode == 0


def test_only_text_cells_starting_with_a_formula_character_are_escaped():
    table = pa.table(
        {
            "text": ["=1+1", "+1", "-3.5", "@x", "\tx", "\rx", "a=b", "", None, "'quoted", "x-1"],
            "number": [-3.5, 1.0, -1.0, 0.0, 2.0, -0.5, 3.0, 4.0, None, 5.0, -6.0],
            "integer": [-3, 1, -1, 0, 2, -5, 3, 4, None, 5, -6],
            "stamp": [datetime(2026, 10, 1, tzinfo=UTC)] * 11,
            # An ENUM column as DuckDB hands it over: a dictionary of strings.
            "enum": pa.array(["=a", "b"] * 5 + ["-c"]).dictionary_encode(),
        }
    )
    cells, escaped = csv_ready(table)
    # Six of the text cells start with = + - @ TAB or CR; "a=b", "x-1", "", null and a leading quote do not.
    # The enum column adds 5 x "=a" and one "-c": 6 + 6 = 12.
    assert escaped == 12
    assert cells.column("enum").to_pylist() == ["'=a", "b"] * 5 + ["'-c"]
    assert cells.column("text").to_pylist() == [
        "'=1+1", "'+1", "'-3.5", "'@x", "'\tx", "'\rx", "a=b", "", None, "'quoted", "x-1",
    ]  # fmt: skip
    assert cells.column("number") == table.column("number")
    assert cells.column("integer") == table.column("integer")
    assert cells.column("stamp") == table.column("stamp")
