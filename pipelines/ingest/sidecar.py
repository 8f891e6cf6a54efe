"""What the user tells us about one export file: the instant it was exported and the mapping that reads it.

The export instant is the run's "now" (open clocks, backlog ages and freshness are measured against it) and the
upper bound of every plausible timestamp in the file. Where it comes from, first found wins:

1. `itsm ingest --exported-at 2026-11-01T06:00:00Z FILE...` (applies to the files of that call);
2. a sidecar file next to the export, named `<export file name>.export.yml`, e.g. `incidents.csv.export.yml`:

       exported_at: 2026-11-01T06:00:00+01:00   # ISO 8601 with a UTC offset (or Z)
       mapping: mappings/my_tool.yml            # optional; relative to the sidecar's folder

3. else the load's own start.

An instant without a UTC offset, an unparsable one or one later than the wall clock is refused with a message
(`InvalidExportInstant`); for a sidecar the file is rejected naming the sidecar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import yaml

from pipelines.ingest.files import FileRejected

SIDECAR_SUFFIX = ".export.yml"
SIDECAR_KEYS = ("exported_at", "mapping")


class InvalidExportInstant(ValueError):
    """An export instant that cannot be used: unparsable, without a UTC offset, or in the future."""


@dataclass(frozen=True)
class ExportInfo:
    exported_at: datetime | None = None
    mapping: Path | None = None
    sidecar: Path | None = None


def parse_export_instant(text: object, now: datetime | None = None) -> datetime:
    """ISO 8601 with a UTC offset -> aware UTC datetime; refused when naive, unparsable or after `now`."""
    if isinstance(text, date) and not isinstance(text, datetime):
        raise InvalidExportInstant(f"{text} is a date, not an instant: add the time and offset, e.g. {text}T00:00:00Z")
    if isinstance(text, datetime):
        value = text
    else:
        raw = str(text).strip()
        try:
            value = datetime.fromisoformat(raw.replace("z", "Z"))
        except ValueError:
            raise InvalidExportInstant(
                f"{raw!r} is not an ISO 8601 instant; write it like 2026-11-01T06:00:00Z or 2026-11-01T07:00:00+01:00"
            ) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidExportInstant(
            f"{value.isoformat()} has no UTC offset; write it with Z (UTC) or an offset such as +01:00"
        )
    value = value.astimezone(UTC)
    now = now or datetime.now(UTC)
    if value > now:
        raise InvalidExportInstant(
            f"{value.isoformat()} is in the future (the clock says {now.replace(microsecond=0).isoformat()}); "
            "an export cannot have been taken after now"
        )
    return value


def sidecar_path(export: Path) -> Path:
    return export.with_name(export.name + SIDECAR_SUFFIX)


def read_sidecar(export: Path) -> ExportInfo:
    """The sidecar of `export`, or an empty ExportInfo when there is none. FileRejected names the sidecar."""
    path = sidecar_path(export)
    if not path.is_file():
        return ExportInfo()
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise FileRejected(export, f"sidecar {path.name} is not valid YAML: {str(err).splitlines()[0]}") from None
    if content is None:
        return ExportInfo(sidecar=path)
    if not isinstance(content, dict):
        raise FileRejected(export, f"sidecar {path.name} must be a mapping of keys ({', '.join(SIDECAR_KEYS)})")
    unknown = sorted(str(k) for k in content if k not in SIDECAR_KEYS)
    if unknown:
        raise FileRejected(
            export, f"sidecar {path.name}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(SIDECAR_KEYS)}"
        )
    exported_at = None
    if content.get("exported_at") is not None:
        try:
            exported_at = parse_export_instant(content["exported_at"])
        except InvalidExportInstant as err:
            raise FileRejected(export, f"sidecar {path.name}: exported_at {err}") from None
    mapping = None
    if content.get("mapping") is not None:
        mapping = (path.parent / str(content["mapping"])).resolve()
        if not mapping.is_file():
            raise FileRejected(export, f"sidecar {path.name}: mapping file {mapping} not found")
    return ExportInfo(exported_at=exported_at, mapping=mapping, sidecar=path)
