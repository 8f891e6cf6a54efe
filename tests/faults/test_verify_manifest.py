"""`itsm verify` on tampered extracts: a manifest that lists nothing, is damaged, points outside its folder or
through a link is refused (exit 1, with why); it never says OK for it, and never reads a file through a link."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# The hand-built warehouse of the extract tests (tests/extracts/audit_rows.py): small, every row known.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "extracts"))
from audit_rows import build_hand_warehouse

from pipelines.extracts.writer import sha256_file


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real `changes` extract of October (changes + change_links, CSV and Parquet)."""
    from pipelines.extracts.request import ExtractRequest, parse_date
    from pipelines.extracts.runner import run_extract

    root = tmp_path_factory.mktemp("verify")
    warehouse = build_hand_warehouse(root / "itsm.duckdb")
    request = ExtractRequest("changes", parse_date("2026-10-01"), parse_date("2026-10-31"), pseudonymize=False)
    return run_extract(request, root / "extract", warehouse, None).out_dir


@pytest.fixture
def extract(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "extract"
    shutil.copytree(pristine, copy)
    return copy


@pytest.fixture
def verify(capsys: pytest.CaptureFixture[str]) -> Callable[[Path], tuple[int, str, str]]:
    from pipelines.cli import main

    def run(folder: Path) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["verify", str(folder)])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def edit_manifest(folder: Path, change: Callable[[dict], object]) -> None:
    path = folder / "manifest.json"
    body = json.loads(path.read_text())
    change(body)
    path.write_text(json.dumps(body, indent=2))


def test_the_untouched_extract_verifies(verify, extract: Path):
    code, out, _ = verify(extract)
    assert code == 0 and "OK: 4 file(s) match manifest.json" in out


def test_an_empty_file_list_is_refused(verify, extract: Path):
    # Data files deleted and the list emptied to match: nothing is "altered", yet nothing is evidenced either.
    for path in extract.glob("change*"):
        path.unlink()
    edit_manifest(extract, lambda m: m.update(files=[]))
    code, out, err = verify(extract)
    assert code == 1 and "OK" not in out
    assert "is not a valid extract manifest: the file list is empty" in err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.pop("files"), "missing key 'files'"),
        (lambda m: m.pop("request"), "missing key 'request'"),
        (lambda m: m.update(files={"changes.csv": "abc"}), 'files must be a list, not {"changes.csv": "abc"}'),
        (lambda m: m["files"][0].pop("sha256"), "missing key files[0].sha256"),
        (lambda m: m["files"][1].update(sha256=None), "files[1].sha256 must be a string, not null"),
        (lambda m: m["files"][0].update(rows=True), "files[0].rows must be an integer, not true"),
        (lambda m: m["files"][0].update(sha256="abc"), "files[0].sha256 is not 64 lowercase hex digits"),
        (lambda m: m["files"].append(m["files"][0]), "is listed twice"),
        (lambda m: m.update(manifest_version="1"), 'manifest_version must be an integer, not "1"'),
    ],
    ids=[
        "no-files",
        "no-request",
        "files-not-a-list",
        "entry-without-hash",
        "null-hash",
        "bool-rows",
        "short-hash",
        "listed-twice",
        "version-as-text",
    ],
)
def test_a_malformed_manifest_is_refused_saying_what_is_wrong(verify, extract: Path, change, message: str):
    edit_manifest(extract, change)
    code, out, err = verify(extract)
    assert code == 1 and "OK" not in out
    assert message in err, err


@pytest.mark.parametrize("text", ["", "{not json", "[1, 2]", "\xff\xfe"])
def test_a_manifest_that_is_not_a_json_object_is_refused(verify, extract: Path, text: str):
    (extract / "manifest.json").write_bytes(text.encode("latin-1"))
    code, out, err = verify(extract)
    assert code == 1 and "OK" not in out
    assert "manifest.json is not valid JSON" in err or "the top level is not a JSON object" in err


def test_a_path_out_of_the_folder_is_refused(verify, extract: Path):
    # A file beside the extract, listed with its true hash: were it read, everything would "match".
    outside = extract.parent / "outside.csv"
    outside.write_text("secret,1\n")
    edit_manifest(extract, lambda m: m["files"][0].update(name="../outside.csv", sha256=sha256_file(outside)))
    code, out, err = verify(extract)
    assert code == 1 and "OK" not in out
    assert "name '../outside.csv' is not a plain file name inside the extract folder" in err


def test_an_absolute_path_is_refused(verify, extract: Path):
    target = extract.parent / "elsewhere.csv"
    target.write_text("x\n")
    edit_manifest(extract, lambda m: m["files"][0].update(name=str(target), sha256=sha256_file(target)))
    code, _, err = verify(extract)
    assert code == 1 and f"name '{target}' is not a plain file name" in err


def test_a_path_into_a_subfolder_is_refused(verify, extract: Path):
    (extract / "sub").mkdir()
    shutil.move(extract / "changes.csv", extract / "sub" / "changes.csv")
    edit_manifest(extract, lambda m: m["files"][0].update(name="sub/changes.csv"))
    code, _, err = verify(extract)
    assert code == 1 and "name 'sub/changes.csv' is not a plain file name" in err


def test_a_symlinked_extract_folder_is_refused(verify, extract: Path, tmp_path: Path):
    link = tmp_path / "link-to-extract"
    link.symlink_to(extract, target_is_directory=True)
    code, _, err = verify(link)
    assert code == 1 and f"{link} is a symbolic link" in err


def test_a_symlinked_manifest_is_refused(verify, extract: Path, tmp_path: Path):
    real = tmp_path / "manifest-elsewhere.json"
    shutil.move(extract / "manifest.json", real)
    (extract / "manifest.json").symlink_to(real)
    code, _, err = verify(extract)
    assert code == 1 and "manifest.json is a symbolic link" in err


def test_a_listed_file_that_is_a_symlink_is_not_read(verify, extract: Path, tmp_path: Path):
    # The link points at a true copy: following it would match the hash. An extract holds regular files only.
    copy = tmp_path / "changes-copy.csv"
    shutil.move(extract / "changes.csv", copy)
    (extract / "changes.csv").symlink_to(copy)
    code, out, _ = verify(extract)
    assert code == 1
    assert "SYMLINK: changes.csv" in out and "FAILED: 3 file(s) match" in out


def test_files_not_in_the_manifest_fail_the_check(verify, extract: Path, tmp_path: Path):
    # Extra entries fail (not a warning): an evidence folder holds exactly what was produced, so nothing added
    # later can pass as part of the evidence. Hidden files, subfolders and links count too.
    (extract / ".hidden").write_text("x")
    (extract / "more").mkdir()
    (extract / "more" / "changes_fixed.csv").write_text("change_id\nC9\n")
    (extract / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    code, out, _ = verify(extract)
    assert code == 1
    for name in (".hidden", "more", "more/changes_fixed.csv", "elsewhere"):
        assert f"EXTRA: {name}\n" in out
