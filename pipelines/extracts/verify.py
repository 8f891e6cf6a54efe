"""`itsm verify DIR`: recompute every file's SHA-256 and compare with the manifest.

What is refused outright (an error, exit 1, nothing read beyond the manifest): a folder or manifest that is a
symbolic link, a manifest that is not the JSON `new_manifest` writes (missing keys, wrong types, an empty file
list) and entries naming anything but a plain file inside the folder (`../x`, `/etc/passwd`, `sub/x`). A listed
file that is a symbolic link is never read through: it fails as SYMLINK. A file present but not listed fails as
EXTRA: an evidence folder holds exactly what was produced, so an added file cannot pass as evidence.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.extracts.manifest import MANIFEST_NAME, read_manifest
from pipelines.extracts.request import ExtractError
from pipelines.extracts.writer import sha256_file


@dataclass
class VerifyReport:
    checked: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    symlinks: list[str] = field(default_factory=list)
    manifest_sha256: str = ""
    manifest_matches_expected: bool | None = None  # None when no expected hash was given

    @property
    def ok(self) -> bool:
        problems = self.altered or self.missing or self.extra or self.symlinks
        return not problems and self.manifest_matches_expected is not False


def folder_entries(directory: Path) -> set[str]:
    """Every entry under `directory` (files, folders, links) relative to it, without following any link."""
    found = set()
    for root, dirs, files in os.walk(directory, followlinks=False):
        for name in dirs + files:
            found.add(str((Path(root) / name).relative_to(directory)))
    return found


def verify_extract(directory: Path, expected_manifest_sha256: str | None = None) -> VerifyReport:
    if directory.is_symlink():
        raise ExtractError(
            f"{directory} is a symbolic link: verify the extract folder itself (links are never followed)"
        )
    if not directory.is_dir():
        raise ExtractError(f"{directory} is not a folder: give the extract folder that holds {MANIFEST_NAME}")
    manifest = read_manifest(directory)
    listed = {entry["name"]: entry["sha256"] for entry in manifest["files"]}
    report = VerifyReport(manifest_sha256=sha256_file(directory / MANIFEST_NAME))
    if expected_manifest_sha256:
        report.manifest_matches_expected = report.manifest_sha256 == expected_manifest_sha256.strip().lower()
    for name, expected in sorted(listed.items()):
        path = directory / name
        if path.is_symlink():
            report.symlinks.append(name)
        elif not path.is_file():
            report.missing.append(name)
        elif sha256_file(path) != expected:
            report.altered.append(name)
        else:
            report.checked.append(name)
    report.extra = sorted(folder_entries(directory) - set(listed) - {MANIFEST_NAME})
    return report
