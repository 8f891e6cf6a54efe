"""File-level inspection before any row is read: hash, encoding, format and header.

Everything here can fail a whole file (`FileRejected`); nothing here reads rows into the warehouse. The file is
streamed once for its SHA-256; its first megabyte is decoded strictly here, and DuckDB's reader reports invalid
UTF-8 further on (the loader turns that into a file-level rejection naming the line).

A gzip-compressed export (`tickets.csv.gz`, `events.jsonl.gz`) is read as it is: its SHA-256 (the lineage) is
that of the compressed file as given, its header and line count come from the decompressed text, and DuckDB
decompresses it while loading. Archives (ZIP, tar) and other compressions are refused by name, saying what to do.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK = 4 * 1024 * 1024
HEAD_BYTES = 1024 * 1024
PARQUET_MAGIC = b"PAR1"
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
CSV_DELIMITERS = (",", ";", "\t", "|")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".7z", ".rar")
OTHER_COMPRESSION_SUFFIXES = (".bz2", ".xz", ".zst", ".lz4", ".z")


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
    lines: int = 0  # physical lines (a last line without a newline counts); of the decompressed text
    compression: str = ""  # "gzip" when the file is gzip-compressed (DuckDB decompresses while reading)
    # Header names that occur more than once (case-insensitive, as DuckDB matches them): (name, first column,
    # repeated column), 1-based. The loader rejects such a file unless its adapter expects repeats (Jira).
    repeated: tuple[tuple[str, int, int], ...] = ()


class _Gunzip:
    """Streaming gzip decompression in bounded pieces (a small file may inflate to gigabytes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.inflater = zlib.decompressobj(wbits=31)

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            while data:
                yield self.inflater.decompress(data, CHUNK)
                data = self.inflater.unconsumed_tail
                if self.inflater.eof and self.inflater.unused_data:
                    data = self.inflater.unused_data
                    if not data.startswith(GZIP_MAGIC):
                        raise FileRejected(self.path, "damaged gzip file: unexpected data after the compressed stream")
                    self.inflater = zlib.decompressobj(wbits=31)  # the next member of a multi-member file
        except zlib.error as err:
            raise FileRejected(self.path, f"damaged gzip file ({err}); re-create it or send it uncompressed") from None

    def finish(self) -> None:
        if not self.inflater.eof:
            raise FileRejected(self.path, "truncated gzip file: the compressed data ends early; copy it again")


@dataclass(frozen=True)
class _Scan:
    sha256: str  # of the file as given
    size: int
    head: bytes  # first chunk of the text (decompressed for gzip)
    lines: int  # physical lines of the text
    compression: str  # "gzip" or ""
    problem: FileRejected | None  # a damaged gzip stream (the hash is still that of the whole file)


def hash_file(path: Path) -> _Scan:
    """SHA-256 and size of the file as given; the first chunk of its text (for format sniffing and the header),
    the number of physical lines of its text and its compression.

    The line count lets the loader tell whether any quoted CSV field spans lines (then record numbers and line
    numbers differ and it works out exact lines). For a gzip file, "text" is the decompressed content."""
    digest = hashlib.sha256()
    size = newlines = 0
    head = last = b""
    gunzip: _Gunzip | None = None
    problem = None
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            if size == 0 and chunk.startswith(GZIP_MAGIC):
                gunzip = _Gunzip(path)
            digest.update(chunk)
            size += len(chunk)
            texts: Iterable[bytes] = (chunk,) if gunzip is None else () if problem else gunzip.feed(chunk)
            try:
                for text in texts:
                    if len(head) < HEAD_BYTES:
                        head += text[: HEAD_BYTES - len(head)]
                    newlines += text.count(b"\n")
                    last = text[-1:] or last
            except FileRejected as err:
                problem = err
    if gunzip and not problem:
        try:
            gunzip.finish()
        except FileRejected as err:
            problem = err
    lines = newlines + (1 if last not in (b"", b"\n") else 0)
    return _Scan(digest.hexdigest(), size, head, lines, "gzip" if gunzip else "", problem)


def check_head_encoding(path: Path, head: bytes) -> str:
    """Decode the first chunk strictly; DuckDB's reader checks the rest (see loader: INVALID ENCODING)."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise FileRejected(path, "unreadable encoding: UTF-16 (byte-order mark at line 1); re-export the file as UTF-8")
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        text = decoder.decode(head, final=False)  # a multi-byte character cut at the chunk end is not an error
    except UnicodeDecodeError as err:
        raise FileRejected(path, _encoding_problem(head, err.start, err)) from None
    return text.lstrip("\ufeff")


def _encoding_problem(head: bytes, offset: int, err: UnicodeDecodeError) -> str:
    before = head[:offset]
    line = before.count(b"\n") + 1
    column = offset - (before.rfind(b"\n") + 1) + 1
    bad = err.object[err.start : err.start + 1].hex()
    return (
        f"unreadable encoding: not valid UTF-8 at line {line}, column {column} (byte offset {offset}, "
        f"byte 0x{bad}); re-export the file as UTF-8"
    )


def _csv_header(path: Path, text: str) -> tuple[tuple[str, ...], str, tuple[tuple[str, int, int], ...]]:
    # Header = first record; it may itself contain quoted delimiters, so parse it with the csv module.
    first_line = text.splitlines()[0] if text.splitlines() else ""
    delimiter = max(CSV_DELIMITERS, key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    row = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    names = [name.strip() for name in row]
    if not any(names):
        raise FileRejected(path, "empty header: line 1 has no column names")
    return dedupe_names(names), delimiter, repeated_names(names)


def repeated_names(names: list[str]) -> tuple[tuple[str, int, int], ...]:
    """(name, first column, repeated column) for each later occurrence of a name (case-insensitive; empty names,
    left by trailing delimiters, are not names)."""
    first: dict[str, int] = {}
    repeats = []
    for index, name in enumerate(names, start=1):
        if not name:
            continue
        if name.lower() in first:
            repeats.append((name, first[name.lower()], index))
        else:
            first[name.lower()] = index
    return tuple(repeats)


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
    scan = hash_file(path)
    try:
        if scan.problem:
            raise scan.problem
        _refuse_archives(path, scan)
        return _identify(path, scan.sha256, scan.size, scan.head, scan.lines, scan.compression)
    except FileRejected as err:
        err.sha256 = scan.sha256  # recorded by its bytes, so the inbox does not retry it every time
        raise


def _refuse_archives(path: Path, scan: _Scan) -> None:
    """Archives and compressions DuckDB does not read are refused by name (or a ZIP by its magic bytes)."""
    suffixes = [s.lower() for s in path.suffixes]
    suffix = suffixes[-1] if suffixes else ""
    magic = b"" if scan.compression else scan.head[:4]
    if suffix in WORKBOOK_SUFFIXES:
        raise FileRejected(path, "a spreadsheet workbook, not an export: save each sheet as CSV (UTF-8) and load that")
    if suffix in ARCHIVE_SUFFIXES or suffixes[-2:] == [".tar", ".gz"] or magic == ZIP_MAGIC:
        raise FileRejected(
            path,
            "an archive (ZIP or tar): archives are not read. Unpack it and put the export files it holds in the "
            "inbox (or pass them to `itsm ingest`); gzip-compressed exports (.csv.gz, .jsonl.gz) are read as they are",
        )
    if suffix in OTHER_COMPRESSION_SUFFIXES:
        raise FileRejected(
            path, f"compressed as {suffix}, which is not read: decompress it, or compress it with gzip (.gz) instead"
        )


def _identify(path: Path, sha256: str, size: int, head: bytes, lines: int, compression: str) -> FileInfo:
    if size == 0:
        raise FileRejected(path, "empty file (0 bytes)")
    if head.startswith(PARQUET_MAGIC):
        if compression:
            raise FileRejected(
                path, "a gzip-compressed Parquet file: decompress it (Parquet compresses its own data inside)"
            )
        return FileInfo(path, sha256, size, "parquet")
    text = check_head_encoding(path, head)
    stripped = text.strip()
    if not stripped:
        raise FileRejected(path, "empty file (only whitespace)")
    # The name inside the compression: tickets.csv.gz is a .csv
    suffix = Path(path.stem).suffix.lower() if compression and path.suffix.lower() == ".gz" else path.suffix.lower()
    if stripped.startswith("{") or suffix in (".jsonl", ".ndjson"):
        return FileInfo(path, sha256, size, "jsonl", compression=compression)
    if stripped.startswith("<"):
        raise FileRejected(path, "unknown format: looks like XML/HTML, expected CSV, Parquet or JSON lines")
    if stripped.startswith("["):
        raise FileRejected(path, "unknown format: a JSON array; expected JSON lines (one object per line)")
    if suffix == ".parquet":
        raise FileRejected(path, "unknown format: named .parquet but has no Parquet magic bytes")
    header, delimiter, repeated = _csv_header(path, text)
    return FileInfo(path, sha256, size, "csv", header, delimiter, lines, compression, repeated)
