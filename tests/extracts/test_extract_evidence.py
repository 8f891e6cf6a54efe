"""Reproducible, checksummed evidence: byte-identical re-runs and `itsm verify` catching any change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_cli import itsm as itsm_process

OCTOBER = ["--from", "2026-10-01", "--to", "2026-10-31"]


def data_files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.name != "manifest.json"}


@pytest.mark.parametrize("kind", ["changes", "sla-breaches", "data-quality", "lineage"])
def test_same_extract_twice_gives_byte_identical_data_files(
    cli, hand_warehouse_master: Path, tmp_path: Path, kind: str
):
    first, second = tmp_path / "first", tmp_path / "second"
    for out in (first, second):
        proc = cli(["extract", kind, *OCTOBER, "--out", str(out)], hand_warehouse_master)
        assert proc.returncode == 0, proc.stderr
    assert data_files(first) == data_files(second)
    assert len(data_files(first)) >= 4  # at least two datasets, each as CSV and Parquet
    # The manifests differ only in when, and by which checkout state, they were written (other commits may
    # land between the two runs in a shared checkout).
    a, b = (json.loads((d / "manifest.json").read_text()) for d in (first, second))
    for manifest in (a, b):
        manifest.pop("created_at"), manifest.pop("code_version")
    assert a == b


def test_itsm_extract_command_is_reproducible_across_processes(hand_warehouse_master: Path, tmp_path: Path):
    # Two separate `itsm` processes, as two auditors would run it: same bytes.
    first, second = tmp_path / "first", tmp_path / "second"
    for out in (first, second):
        proc = itsm_process(["extract", "sla-breaches", *OCTOBER, "--out", str(out)], hand_warehouse_master)
        assert proc.returncode == 0, proc.stderr
    assert data_files(first) == data_files(second)


def test_verify_passes_on_an_untouched_extract(cli, hand_warehouse_master: Path, tmp_path: Path):
    out = tmp_path / "x"
    made = cli(["extract", "changes", *OCTOBER, "--out", str(out)], hand_warehouse_master)
    proc = cli(["verify", str(out)], hand_warehouse_master)
    assert proc.returncode == 0, proc.stdout
    assert "OK: 4 file(s) match" in proc.stdout
    manifest_sha = made.stdout.split("manifest sha256: ")[1].strip()
    assert cli(["verify", str(out), "--manifest-sha256", manifest_sha], hand_warehouse_master).returncode == 0


def test_verify_detects_one_changed_byte(cli, hand_warehouse_master: Path, tmp_path: Path):
    out = tmp_path / "x"
    cli(["extract", "changes", *OCTOBER, "--out", str(out)], hand_warehouse_master)
    target = out / "changes.csv"
    data = bytearray(target.read_bytes())
    position = data.index(b"C2")
    data[position + 1] = ord("3")  # C2 -> C3: same size, one byte different
    target.write_bytes(bytes(data))
    proc = cli(["verify", str(out)], hand_warehouse_master)
    assert proc.returncode == 1
    assert "ALTERED: changes.csv" in proc.stdout
    assert "FAILED" in proc.stdout


def test_verify_names_missing_and_extra_files(cli, hand_warehouse_master: Path, tmp_path: Path):
    out = tmp_path / "x"
    cli(["extract", "changes", *OCTOBER, "--out", str(out)], hand_warehouse_master)
    (out / "change_links.parquet").unlink()
    (out / "notes.txt").write_text("added later")
    proc = cli(["verify", str(out)], hand_warehouse_master)
    assert proc.returncode == 1
    assert "MISSING: change_links.parquet" in proc.stdout
    assert "EXTRA: notes.txt" in proc.stdout


def test_verify_detects_a_rewritten_manifest_against_its_published_hash(
    cli, hand_warehouse_master: Path, tmp_path: Path
):
    out = tmp_path / "x"
    made = cli(["extract", "changes", *OCTOBER, "--out", str(out)], hand_warehouse_master)
    published = made.stdout.split("manifest sha256: ")[1].strip()
    # Someone edits a file and rewrites the manifest to match: the file hashes agree again...
    (out / "changes.csv").write_text("change_id\nC9\n")
    manifest = json.loads((out / "manifest.json").read_text())
    from pipelines.extracts.writer import sha256_file

    for entry in manifest["files"]:
        if entry["name"] == "changes.csv":
            entry["sha256"] = sha256_file(out / "changes.csv")
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert cli(["verify", str(out)], hand_warehouse_master).returncode == 0
    # ...but not the manifest hash published when the extract was made.
    proc = cli(["verify", str(out), "--manifest-sha256", published], hand_warehouse_master)
    assert proc.returncode == 1
    assert "ALTERED: manifest.json" in proc.stdout


def test_verify_refuses_a_folder_without_manifest(cli, hand_warehouse_master: Path, tmp_path: Path):
    proc = cli(["verify", str(tmp_path)], hand_warehouse_master)
    assert proc.returncode == 1
    assert "has no manifest.json" in proc.stderr
