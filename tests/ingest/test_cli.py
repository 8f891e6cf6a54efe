"""`itsm ingest`: progress per file, a summary table, exit code 1 when a file was rejected."""

from __future__ import annotations

from pipelines.cli import main

HEADER = "ticket_id,ticket_type,opened_at,state,priority\n"


def test_ingest_command_reports_each_file_and_fails_on_a_rejected_one(write, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ITSM_WAREHOUSE", str(tmp_path / "cli.duckdb"))
    good = write("tickets.csv", HEADER + "T1,incident,2026-01-05 09:00:00,new,2\nT2,incident,never,new,2\n")
    bad = write("mystery.csv", "alpha,beta\n1,2\n")
    assert main(["ingest", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "[1/2]" in out and "[2/2]" in out
    assert "loaded: 2 read, 1 loaded, 1 quarantined [canonical:tickets]" in out
    assert "REJECTED: mystery.csv: unknown format" in out
    total = next(line for line in out.splitlines() if line.startswith("TOTAL")).split()
    # TOTAL, status summary, then read / loaded / quarantined summed over files: 2 read, 1 loaded, 1 quarantined
    assert " ".join(total) == "TOTAL 1 loaded, 0 skipped_duplicate, 1 rejected 2 1 1"
    # the closing summary: files by outcome, quarantined rows, the rejected file and why
    assert "files: 1 loaded, 0 skipped (already loaded), 1 rejected" in out
    assert "rows quarantined: 1 " in out
    assert "rejected mystery.csv: mystery.csv: unknown format" in out

    # same good file again: skipped, nothing rejected -> exit code 0
    assert main(["ingest", "--quiet", str(good)]) == 0
    assert "skipped_duplicate" in capsys.readouterr().out


def test_ingest_command_with_forced_adapter(write, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ITSM_WAREHOUSE", str(tmp_path / "cli.duckdb"))
    # Looks canonical by name, but forced through the probes adapter it lacks service/checked_at/up.
    path = write("tickets.csv", HEADER + "T1,incident,2026-01-05 09:00:00,new,2\n")
    assert main(["ingest", "--adapter", "probes", str(path)]) == 1
    assert "missing required column(s) for probe_samples: service" in capsys.readouterr().out


def test_ingest_help(capsys):
    assert main(["ingest", "--help"]) == 0
    assert "--source-tz" in capsys.readouterr().out


def test_unknown_adapter_name_rejects_instead_of_crashing(write, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ITSM_WAREHOUSE", str(tmp_path / "cli.duckdb"))
    monkeypatch.setenv("ITSM_ADAPTER", "remedy")
    path = write("tickets.csv", HEADER + "T1,incident,2026-01-05 09:00:00,new,2\n")
    assert main(["ingest", str(path)]) == 1
    assert "unknown adapter 'remedy'; choose one of probes, servicenow, jira, canonical" in capsys.readouterr().out
