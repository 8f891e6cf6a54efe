"""`itsm verify DIR`: recompute every file's SHA-256 and compare with the manifest."""

from __future__ import annotations

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
    manifest_sha256: str = ""
    manifest_matches_expected: bool | None = None  # None when no expected hash was given

    @property
    def ok(self) -> bool:
        return not (self.altered or self.missing or self.extra) and self.manifest_matches_expected is not False


def verify_extract(directory: Path, expected_manifest_sha256: str | None = None) -> VerifyReport:
    if not (directory / MANIFEST_NAME).is_file():
        raise ExtractError(f"{directory} has no {MANIFEST_NAME}: not an extract directory")
    try:
        manifest = read_manifest(directory)
        listed = {entry["name"]: entry["sha256"] for entry in manifest["files"]}
    except (ValueError, KeyError, TypeError) as err:
        raise ExtractError(f"{directory / MANIFEST_NAME} is not a readable manifest: {err}") from err
    report = VerifyReport(manifest_sha256=sha256_file(directory / MANIFEST_NAME))
    if expected_manifest_sha256:
        report.manifest_matches_expected = report.manifest_sha256 == expected_manifest_sha256.strip().lower()
    for name, expected in sorted(listed.items()):
        path = directory / name
        if not path.is_file():
            report.missing.append(name)
        elif sha256_file(path) != expected:
            report.altered.append(name)
        else:
            report.checked.append(name)
    present = {str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST_NAME}
    report.extra = sorted(present - set(listed))
    return report
