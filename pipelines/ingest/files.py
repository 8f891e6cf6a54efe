"""File-level inspection before any row is read: hash, encoding, format and header.

Everything here can fail a whole file (`FileRejected`); nothing here reads rows into the warehouse. The file is
streamed once for its SHA-256; its first megabyte is decoded strictly here, and DuckDB's reader reports invalid
UTF-8 further on (the loader turns that into a file-level rejection naming the line).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

CHUNK = 4 * 1024 * 1024
HEAD_BYTES = 1024 * 1024
PARQUET_MAGIC = b"PAR1"
CSV_DELIMITERS = (",", ";", "\t", "|")


class FileRejected(Exception):
    """A file-level problem: the whole file is refused, nothing of it is loaded."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        self.sha256 = ""  # set when the problem was found after hashing
        super().__init__(f"{self.path.name}: {problem}")


@dataclass(frozen=True)
class FileInfo:
    path: Path
    sha256: str
    size: int
    format: str  # csv | jsonl | parquet
    header: tuple[str, ...] = ()  # column names as DuckDB will see them (deduplicated); filled for csv
    delimiter: str = ","
    lines: int = 0  # physical lines (a last line without a newline counts)


def hash_file(path: Path) -> tuple[str, int, bytes, int]:
    """SHA-256, size, the first chunk (for format sniffing and the header) and the number of physical lines.

    The line count lets the loader tell whether any quoted CSV field spans lines (then record numbers and line
    numbers differ and it works out exact lines)."""
    digest = hashlib.sha256()
    size = newlines = 0
    head = last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            if not head:
                head = chunk[:HEAD_BYTES]
            digest.update(chunk)
            newlines += chunk.count(b"\n")
            size += len(chunk)
            last = chunk[-1:]
    return digest.hexdigest(), size, head, newlines + (1 if last not in (b"", b"\n") else 0)


def check_head_encoding(path: Path, head: bytes) -> str:
    """Decode the first chunk strictly; DuckDB's reader checks the rest (see loader: INVALID ENCODING)."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise FileRejected(path, "unreadable encoding: UTF-16 (byte-order mark at line 1); re-export the file as UTF-8")
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        text = decoder.decode(head, final=False)  # a multi-byte character cut at the chunk end is not an error
    except UnicodeDecodeError as err:
        raise FileRejected(path, _encoding_problem(path, err.start, err)) from None
    return text.lstrip("\ufeff")


def _encoding_problem(path: Path, offset: int, err: UnicodeDecodeError) -> str:
    with path.open("rb") as handle:
        before = handle.read(offset)
    line = before.count(b"\n") + 1
    column = offset - (before.rfind(b"\n") + 1) + 1
    bad = err.object[err.start : err.start + 1].hex()
    return (
        f"unreadable encoding: not valid UTF-8 at line {line}, column {column} (byte offset {offset}, "
        f"byte 0x{bad}); re-export the file as UTF-8"
    )


def _csv_header(path: Path, text: str) -> tuple[tuple[str, ...], str]:
    # Header = first record; it may itself contain quoted delimiters, so parse it with the csv module.
    first_line = text.splitlines()[0] if text.splitlines() else ""
    delimiter = max(CSV_DELIMITERS, key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    row = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    names = [name.strip() for name in row]
    if not any(names):
        raise FileRejected(path, "empty header: line 1 has no column names")
    return dedupe_names(names), delimiter


def dedupe_names(names: list[str]) -> tuple[str, ...]:
    """Jira repeats headers (`Component/s` twice); empty names occur after trailing delimiters."""
    seen: dict[str, int] = {}
    out = []
    for index, name in enumerate(names, start=1):
        base = name or f"column{index}"
        count = seen.get(base.lower(), 0)
        seen[base.lower()] = count + 1
        out.append(base if count == 0 else f"{base}_{count + 1}")
    return tuple(out)


def inspect_file(path: Path) -> FileInfo:
    """Hash the file and find its format and header, or raise FileRejected saying what is wrong."""
    if not path.exists():
        raise FileRejected(path, "file not found")
    if path.is_dir():
        raise FileRejected(path, "is a directory, not a file")
    sha256, size, head, lines = hash_file(path)
    try:
        return _identify(path, sha256, size, head, lines)
    except FileRejected as err:
        err.sha256 = sha256
        raise


def _identify(path: Path, sha256: str, size: int, head: bytes, lines: int) -> FileInfo:
    if size == 0:
        raise FileRejected(path, "empty file (0 bytes)")
    if head.startswith(PARQUET_MAGIC):
        return FileInfo(path, sha256, size, "parquet")
    text = check_head_encoding(path, head)
    stripped = text.strip()
    if not stripped:
        raise FileRejected(path, "empty file (only whitespace)")
    suffix = path.suffix.lower()
    if stripped.startswith("{") or suffix in (".jsonl", ".ndjson"):
        return FileInfo(path, sha256, size, "jsonl")
    if stripped.startswith("<"):
        raise FileRejected(path, "unknown format: looks like XML/HTML, expected CSV, Parquet or JSON lines")
    if stripped.startswith("["):
        raise FileRejected(path, "unknown format: a JSON array; expected JSON lines (one object per line)")
    if suffix == ".parquet":
        raise FileRejected(path, "unknown format: named .parquet but has no Parquet magic bytes")
    header, delimiter = _csv_header(path, text)
    return FileInfo(path, sha256, size, "csv", header, delimiter, lines)
