"""Person fields pseudonymized with a keyed hash by default; free-text comments left out unless asked for."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from audit_cli import KEY, rows

from pipelines.extracts.privacy import PERSON_FIELDS, is_person_column, pseudonym

OCTOBER = ["--from", "2026-10-01", "--to", "2026-10-31"]


def breach_row(cli, warehouse: Path, out: Path, key: str | None, *flags: str) -> dict[str, object]:
    proc = cli(["extract", "sla-breaches", *OCTOBER, "--out", str(out), *flags], warehouse, key=key)
    assert proc.returncode == 0, proc.stderr
    (row,) = rows(out / "sla_breaches.parquet")
    return row


def test_person_fields_come_from_the_contract():
    assert PERSON_FIELDS == ("actor", "assignee", "caller")
    assert is_person_column("incident_assignee") and not is_person_column("assignment_group")


def test_pseudonym_is_the_keyed_hmac():
    expected = "p_" + hmac.new(b"k", b"Alice Smith", hashlib.sha256).hexdigest()[:20]
    assert pseudonym("Alice Smith", "k") == expected
    # A plain (unkeyed) hash of the name would be guessable from a list of names; ours is not that.
    assert pseudonym("Alice Smith", "k")[2:] != hashlib.sha256(b"Alice Smith").hexdigest()[:20]


def test_pseudonyms_stable_for_the_same_key_and_different_for_another(cli, hand_warehouse_master: Path, tmp_path: Path):
    one = breach_row(cli, hand_warehouse_master, tmp_path / "a", "pseudonym-key-number-one")
    again = breach_row(cli, hand_warehouse_master, tmp_path / "b", "pseudonym-key-number-one")
    other = breach_row(cli, hand_warehouse_master, tmp_path / "c", "pseudonym-key-number-two")
    # T1: assignee Alice Smith, caller Bob Jones (audit_rows.TICKETS)
    assert one["assignee"] == again["assignee"] == pseudonym("Alice Smith", "pseudonym-key-number-one")
    assert one["caller"] == pseudonym("Bob Jones", "pseudonym-key-number-one")
    assert other["assignee"] == pseudonym("Alice Smith", "pseudonym-key-number-two") != one["assignee"]
    for path in (tmp_path / "a").iterdir():
        assert b"Alice Smith" not in path.read_bytes() and b"Bob Jones" not in path.read_bytes()


def test_missing_key_is_refused_and_nothing_written(cli, hand_warehouse_master: Path, tmp_path: Path):
    out = tmp_path / "x"
    proc = cli(["extract", "sla-breaches", *OCTOBER, "--out", str(out)], hand_warehouse_master, key=None)
    assert proc.returncode == 1
    assert "ITSM_PSEUDONYM_KEY is not set" in proc.stderr and "--no-pseudonymize" in proc.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_short_key_is_refused_and_nothing_written(cli, hand_warehouse_master: Path, tmp_path: Path):
    # 15 characters: one short of the minimum. A guessable key would let anyone recompute the pseudonyms.
    out = tmp_path / "x"
    for key in ("k", "fifteen-chars!!"):
        proc = cli(["extract", "sla-breaches", *OCTOBER, "--out", str(out)], hand_warehouse_master, key=key)
        assert proc.returncode == 1
        assert f"ITSM_PSEUDONYM_KEY is {len(key)} character(s) long; it must have at least 16" in proc.stderr
        assert not out.exists() and list(tmp_path.iterdir()) == []
    proc = cli(["extract", "sla-breaches", *OCTOBER, "--out", str(out)], hand_warehouse_master, key="sixteen-chars!!!")
    assert proc.returncode == 0, proc.stderr


def test_no_pseudonymize_writes_names_and_says_so_in_the_manifest(cli, hand_warehouse_master: Path, tmp_path: Path):
    import json

    row = breach_row(cli, hand_warehouse_master, tmp_path / "x", None, "--no-pseudonymize")
    assert row["assignee"] == "Alice Smith"
    manifest = json.loads((tmp_path / "x" / "manifest.json").read_text())
    assert manifest["privacy"]["person_fields"] == "clear"


def test_comments_excluded_by_default_and_included_on_request(cli, hand_warehouse_master: Path, tmp_path: Path):
    default = breach_row(cli, hand_warehouse_master, tmp_path / "a", KEY)
    assert "survey_comment" not in default
    assert all(b"never called back" not in p.read_bytes() for p in (tmp_path / "a").iterdir())
    asked = breach_row(cli, hand_warehouse_master, tmp_path / "b", KEY, "--include-comments")
    assert asked["survey_comment"] == "Alice Smith never called back"  # free text is not pseudonymized
