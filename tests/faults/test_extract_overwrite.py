"""`itsm extract --overwrite` never deletes what it did not write.

Each case hashes every file the user owns before and after the command: a refused overwrite exits non-zero,
says why, and leaves every byte (and every link) where it was. The one thing --overwrite replaces is an earlier
extract, and a failure half-way through leaves that earlier extract byte-identical.

Every folder these tests offer to --overwrite lives under the test's tmp_path: were the guard ever to break, only
test files could be lost. The project folder case therefore uses a stand-in project, never the real checkout.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# The hand-built warehouse of the extract tests (tests/extracts/audit_rows.py): small, every row known.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "extracts"))
from audit_rows import build_hand_warehouse

from pipelines.extracts.destination import check_destination, protected_folders
from pipelines.extracts.request import ExtractError
from pipelines.settings import PROJECT_ROOT

KEY = "fault-tests-pseudonym-key"
OCTOBER = ["--from", "2026-10-01", "--to", "2026-10-31"]


def tree(folder: Path) -> dict[str, str]:
    """Every entry under `folder` (links not followed): file -> sha256, link -> its target, folder -> 'dir'."""
    found = {}
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            path = Path(root) / name
            key = str(path.relative_to(folder))
            if path.is_symlink():
                found[key] = "link -> " + os.readlink(path)
            elif path.is_dir():
                found[key] = "dir"
            else:
                found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture(scope="module")
def master_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_hand_warehouse(tmp_path_factory.mktemp("hand") / "itsm.duckdb")


@pytest.fixture
def warehouse(master_warehouse: Path, tmp_path: Path) -> Path:
    path = tmp_path / "wh" / "itsm.duckdb"
    path.parent.mkdir()
    shutil.copyfile(master_warehouse, path)
    (path.parent / "notes-of-the-dba.txt").write_text("kept beside the warehouse")
    return path


@pytest.fixture
def user_files(tmp_path: Path) -> Path:
    """A folder of the user's own files (with a subfolder), nothing to do with extracts."""
    mine = tmp_path / "my-documents"
    (mine / "sub").mkdir(parents=True)
    (mine / "thesis.txt").write_text("years of work")
    (mine / "sub" / "budget.csv").write_text("item,amount\nrent,1000\n")
    return mine


@pytest.fixture
def itsm(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Callable:
    """`itsm ARGS` in this process against `warehouse`: (exit code, stdout, stderr)."""
    from pipelines.cli import main

    def run(args: list[str], warehouse: Path) -> tuple[int, str, str]:
        for name in [n for n in os.environ if n.startswith("ITSM_")]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("ITSM_WAREHOUSE", str(warehouse))
        monkeypatch.setenv("ITSM_INBOX", str(tmp_path / "inbox"))
        monkeypatch.setenv("ITSM_OUTPUT_DIR", str(tmp_path / "build"))
        monkeypatch.setenv("ITSM_PSEUDONYM_KEY", KEY)
        capsys.readouterr()
        code = main(args)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def overwrite(out: Path, kind: str = "changes") -> list[str]:
    return ["extract", kind, *OCTOBER, "--out", str(out), "--overwrite"]


def no_partial_folders(parent: Path) -> bool:
    return not [p.name for p in parent.iterdir() if p.name.startswith(".")]


def test_a_folder_of_user_files_is_not_replaced(itsm, warehouse: Path, user_files: Path):
    before = tree(user_files)
    code, _, err = itsm(overwrite(user_files), warehouse)
    assert code == 1
    assert "--overwrite replaces only an earlier extract" in err and "has no manifest.json" in err
    assert tree(user_files) == before
    assert no_partial_folders(user_files.parent)


def test_a_symlink_to_user_files_is_not_followed(itsm, warehouse: Path, user_files: Path, tmp_path: Path):
    link = tmp_path / "shortcut"
    link.symlink_to(user_files, target_is_directory=True)
    before = tree(user_files)
    code, _, err = itsm(overwrite(link), warehouse)
    assert code == 1
    assert f"--out {link} is a symbolic link (to {user_files})" in err
    assert tree(user_files) == before
    assert link.is_symlink() and link.resolve() == user_files


def test_a_symlink_to_an_earlier_extract_is_not_followed_either(itsm, warehouse: Path, tmp_path: Path):
    real = tmp_path / "evidence"
    assert itsm(["extract", "changes", *OCTOBER, "--out", str(real)], warehouse)[0] == 0
    link = tmp_path / "evidence-link"
    link.symlink_to(real, target_is_directory=True)
    before = tree(real)
    code, _, err = itsm(overwrite(link), warehouse)
    assert code == 1 and "is a symbolic link" in err
    assert tree(real) == before


def test_a_symlink_inside_an_earlier_extract_blocks_the_overwrite(
    itsm, warehouse: Path, user_files: Path, tmp_path: Path
):
    out = tmp_path / "evidence"
    assert itsm(["extract", "changes", *OCTOBER, "--out", str(out)], warehouse)[0] == 0
    (out / "my-documents").symlink_to(user_files, target_is_directory=True)
    (out / "reviewer-notes.txt").write_text("added by the auditor after the extract")
    before_user, before_out = tree(user_files), tree(out)
    code, _, err = itsm(overwrite(out), warehouse)
    assert code == 1
    assert "also holds what that extract did not write (my-documents, reviewer-notes.txt)" in err
    assert tree(user_files) == before_user
    assert tree(out) == before_out
    assert no_partial_folders(tmp_path)


def test_the_live_warehouse_folder_is_never_replaced(itsm, warehouse: Path):
    folder = warehouse.parent
    before = tree(folder)
    code, _, err = itsm(overwrite(folder, "lineage"), warehouse)
    assert code == 1
    assert f"is the warehouse folder ({folder}) or a folder above it" in err
    assert tree(folder) == before


def test_a_folder_above_the_warehouse_is_never_replaced(itsm, warehouse: Path, tmp_path: Path):
    before = tree(tmp_path)
    code, _, err = itsm(overwrite(tmp_path, "lineage"), warehouse)
    assert code == 1
    assert "is the warehouse folder" in err and "or a folder above it" in err
    assert tree(tmp_path) == before


def test_an_earlier_extract_inside_the_warehouse_folder_is_not_replaced(itsm, warehouse: Path):
    # A new extract beside the warehouse is allowed (the output folder may live there); replacing one is not.
    out = warehouse.parent / "evidence"
    assert itsm(["extract", "changes", *OCTOBER, "--out", str(out)], warehouse)[0] == 0
    before = tree(warehouse.parent)
    code, _, err = itsm(overwrite(out), warehouse)
    assert code == 1 and "inside the warehouse folder" in err
    assert tree(warehouse.parent) == before


def test_nothing_is_written_into_the_inbox(itsm, warehouse: Path, tmp_path: Path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "tickets.csv").write_text("ticket_id\nT1\n")
    before = tree(inbox)
    for out in (inbox / "extract", inbox):
        code, _, err = itsm(["extract", "changes", *OCTOBER, "--out", str(out), "--overwrite"], warehouse)
        assert code == 1 and "the inbox" in err
    assert tree(inbox) == before


def test_the_project_folder_and_those_above_it_are_never_replaced(warehouse: Path, tmp_path: Path):
    # A stand-in project holding a fake earlier extract at its top: even that is not replaced.
    project = tmp_path / "project"
    project.mkdir()
    (project / "manifest.json").write_text("{}")
    (project / "pyproject.toml").write_text("[project]\n")
    protected = protected_folders(warehouse, None, project_root=project)
    for out in (project, tmp_path):
        with pytest.raises(ExtractError, match=r"is the (project|warehouse) folder .* or a folder above it"):
            check_destination(out, True, protected)
    assert (project / "pyproject.toml").read_text() == "[project]\n"
    # The command itself protects the real checkout.
    assert ("the project folder", PROJECT_ROOT.resolve()) in protected_folders(warehouse, None).roots


def test_an_earlier_extract_is_replaced_whole(itsm, warehouse: Path, tmp_path: Path):
    out = tmp_path / "evidence"
    assert itsm(["extract", "changes", *OCTOBER, "--out", str(out)], warehouse)[0] == 0
    code, stdout, err = itsm(overwrite(out, "sla-breaches"), warehouse)
    assert code == 0, err
    # The earlier extract's files are gone, the new one's are there and verify.
    names = sorted(p.name for p in out.iterdir())
    datasets = ("sla_breaches", "sla_breach_trace")
    assert names == sorted(["manifest.json", *(f"{d}.{fmt}" for d in datasets for fmt in ("csv", "parquet"))])
    assert itsm(["verify", str(out)], warehouse)[0] == 0
    assert no_partial_folders(tmp_path)
    assert f"wrote {out}" in stdout


def test_a_failure_while_writing_leaves_the_earlier_extract_byte_identical(
    itsm, warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    out = tmp_path / "evidence"
    assert itsm(["extract", "changes", *OCTOBER, "--out", str(out)], warehouse)[0] == 0
    before = tree(out)

    from pipelines.extracts import runner

    real_writer, calls = runner.write_dataset, []

    def disk_fills_up(table, directory: Path, name: str):
        # The first dataset is written for real, then the disk is full: a failure after some files exist.
        calls.append(name)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(directory / f"{name}.csv"))
        return real_writer(table, directory, name)

    monkeypatch.setattr(runner, "write_dataset", disk_fills_up)
    code, _, err = itsm(overwrite(out, "sla-breaches"), warehouse)
    assert code == 1
    assert "No space left on device" in err and f"nothing changed at --out {out}" in err
    assert len(calls) == 2
    assert tree(out) == before
    assert no_partial_folders(tmp_path)
    monkeypatch.setattr(runner, "write_dataset", real_writer)
    assert itsm(["verify", str(out)], warehouse)[0] == 0


def test_files_that_appear_in_an_empty_out_folder_meanwhile_are_left_alone(
    itsm, warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    out = tmp_path / "evidence"
    out.mkdir()  # empty: usable without --overwrite

    from pipelines.extracts import runner

    real_writer = runner.write_dataset

    def someone_saves_a_file_there(table, directory: Path, name: str):
        (out / "saved-meanwhile.txt").write_text("the user's")
        return real_writer(table, directory, name)

    monkeypatch.setattr(runner, "write_dataset", someone_saves_a_file_there)
    code, _, err = itsm(["extract", "changes", *OCTOBER, "--out", str(out)], warehouse)
    assert code == 1 and f"nothing changed at --out {out}" in err
    assert tree(out) == {"saved-meanwhile.txt": hashlib.sha256(b"the user's").hexdigest()}
    assert no_partial_folders(tmp_path)
