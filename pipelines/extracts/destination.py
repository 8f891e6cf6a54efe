"""Where an extract may be written, and how an earlier extract is replaced without putting anything else at risk.

Rules (a refusal is an ExtractError saying why and what to do; nothing is written or deleted):
- `--out` itself is never a symbolic link (its parent folders may be: they are resolved, the last name is not).
- Never the warehouse folder, the inbox or the project folder, nor a folder above one of them (replacing it would
  delete the user's data), and never inside the inbox (the extract's files would be ingested).
- An existing folder that is not empty is replaced only with `overwrite`, and only when it is an earlier extract:
  a valid manifest, and nothing in it but the manifest and the regular files it lists; never one inside the
  warehouse folder. A new folder there is fine (the output folder may sit beside the warehouse).
- The new extract is written into a fresh hidden sibling folder and renamed into place; the earlier one is first
  renamed aside, then only the files its manifest lists are deleted, and its folder is removed only when empty.
  A failure before the renames leaves the earlier extract exactly as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipelines.extracts.manifest import MANIFEST_NAME, read_manifest
from pipelines.extracts.request import ExtractError
from pipelines.extracts.verify import folder_entries
from pipelines.settings import PROJECT_ROOT

NOTHING = "nothing written or deleted"


@dataclass(frozen=True)
class Protected:
    """Folders an extract never replaces (real paths), each with the name a message gives it."""

    # Never the folder itself nor a folder above it.
    roots: tuple[tuple[str, Path], ...]
    # Never written into (the inbox).
    no_writes_inside: tuple[tuple[str, Path], ...]
    # Nothing inside is ever replaced (the warehouse folder).
    no_replace_inside: tuple[tuple[str, Path], ...]


def protected_folders(warehouse: Path, inbox: Path | None, project_root: Path = PROJECT_ROOT) -> Protected:
    warehouse_folder = ("the warehouse folder", Path(os.path.realpath(warehouse.parent)))
    inboxes = (("the inbox", Path(os.path.realpath(inbox))),) if inbox is not None else ()
    project = ("the project folder", Path(os.path.realpath(project_root)))
    return Protected((warehouse_folder, *inboxes, project), inboxes, (warehouse_folder,))


@dataclass(frozen=True)
class Destination:
    path: Path  # real path of the extract folder
    previous: tuple[str, ...] | None  # files of the earlier extract it replaces; None when there is none


def check_destination(out: Path, overwrite: bool, protected: Protected) -> Destination:
    """Where the extract goes, or an ExtractError saying why not there."""
    if out.is_symlink():
        raise ExtractError(
            f"--out {out} is a symbolic link (to {os.readlink(out)}): extracts never write or delete through links; "
            f"give a real folder; {NOTHING}"
        )
    real = Path(os.path.realpath(out))
    for label, folder in protected.roots:
        if real == folder or real in folder.parents:
            raise ExtractError(
                f"--out {out} is {label} ({folder}) or a folder above it: an extract never replaces it; choose a "
                f"new folder for the extract; {NOTHING}"
            )
    for label, folder in protected.no_writes_inside:
        if folder in real.parents:
            raise ExtractError(
                f"--out {out} is inside {label} ({folder}): its files would be read as exports; choose a folder "
                f"elsewhere, e.g. under ITSM_OUTPUT_DIR/extracts; {NOTHING}"
            )
    if real.exists() and not real.is_dir():
        raise ExtractError(f"--out {out} is a file, not a directory; {NOTHING}")
    if not real.is_dir() or not any(real.iterdir()):
        return Destination(real, None)
    if not overwrite:
        raise ExtractError(
            f"--out {out} already exists and is not empty; choose a new folder or --overwrite (which replaces only an "
            "earlier extract)"
        )
    for label, folder in protected.no_replace_inside:
        if folder in real.parents:
            raise ExtractError(
                f"--out {out} is inside {label} ({folder}): --overwrite never replaces anything there; choose a new "
                f"folder for the extract; {NOTHING}"
            )
    return Destination(real, _previous_extract(out, real))


def _previous_extract(out: Path, real: Path) -> tuple[str, ...]:
    """The files of the earlier extract in `real`; refused when the folder holds anything else."""
    try:
        manifest = read_manifest(real)
    except ExtractError as err:
        raise ExtractError(
            f"--overwrite replaces only an earlier extract, and {out} is not one ({err}); choose another folder; "
            f"{NOTHING}"
        ) from err
    listed = tuple(entry["name"] for entry in manifest["files"])
    unexpected = sorted(folder_entries(real) - set(listed) - {MANIFEST_NAME})
    links = sorted(name for name in listed if (real / name).is_symlink() or (real / name).is_dir())
    if unexpected or links:
        shown = ", ".join((unexpected + links)[:5]) + (", ..." if len(unexpected) + len(links) > 5 else "")
        raise ExtractError(
            f"--overwrite replaces only an earlier extract, and {out} also holds what that extract did not write "
            f"({shown}): move those out or choose another folder; {NOTHING}"
        )
    return listed


def new_staging(destination: Destination) -> Path:
    """A fresh hidden folder beside the destination (same file system, so the final rename is atomic)."""
    destination.path.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{destination.path.name}.partial-", dir=destination.path.parent))


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def move_into_place(staging: Path, destination: Destination) -> None:
    """Rename the finished extract into place; an earlier extract is set aside, then its files removed."""
    target = destination.path
    if destination.previous is None:
        # Replaces a missing or empty folder; fails, rather than merges, if files appeared there meanwhile.
        staging.rename(target)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.replaced-", dir=target.parent))
    aside.rmdir()  # a unique name that nothing else uses; rename needs it free
    target.rename(aside)
    try:
        staging.rename(target)
    except BaseException:
        aside.rename(target)
        raise
    for name in (*(destination.previous or ()), MANIFEST_NAME):
        path = aside / name
        if path.is_file() and not path.is_symlink():
            path.unlink()
    # Something that appeared in the old folder while the extract was written is kept there, not deleted.
    with contextlib.suppress(OSError):
        aside.rmdir()
