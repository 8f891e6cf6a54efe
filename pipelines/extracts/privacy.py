"""Privacy rules for extracts: keyed pseudonyms for person fields, free text left out unless asked for.

Person fields come from the contract (`Column.person`: caller, assignee, actor). A column is treated as a person
field when its name is one of them or ends with `_<field>` (for instance `incident_assignee`), so a mart that
renames or prefixes them is still covered.

Pseudonym = "p_" + the first 20 hex digits (80 bits) of HMAC-SHA256(key, value). The same key gives the same
pseudonym in every extract (auditors can follow one person across files); without the key nobody can recompute
or dictionary-attack it, unlike a plain hash of a guessable name. Nulls stay null.
"""

from __future__ import annotations

import hashlib
import hmac

import pyarrow as pa

from data_quality.contract import TABLES
from pipelines.extracts.request import ExtractError

PERSON_FIELDS: tuple[str, ...] = tuple(sorted({c.name for table in TABLES.values() for c in table.columns if c.person}))
# Free-text fields: what customers or agents typed. Not flagged in the contract, so named here.
FREE_TEXT_FIELDS: tuple[str, ...] = ("comment", "comments", "close_notes", "work_notes")

PSEUDONYM_PREFIX = "p_"
PSEUDONYM_HEX_DIGITS = 20

MISSING_KEY_MESSAGE = (
    "ITSM_PSEUDONYM_KEY is not set: person fields (caller, assignee, actor) are pseudonymized with a keyed hash "
    "by default and there is no key. Set ITSM_PSEUDONYM_KEY (a secret, kept outside the repository; the same key "
    "gives the same pseudonyms across extracts), or pass --no-pseudonymize to write names in clear. Nothing written."
)


# An HMAC key must not be guessable: a short key lets anyone with a list of names recompute every pseudonym.
MIN_KEY_LENGTH = 16


def check_key(key: str | None) -> None:
    """Refuse a missing or too short pseudonym key (ExtractError with what to do)."""
    if not key:
        raise ExtractError(MISSING_KEY_MESSAGE)
    if len(key) < MIN_KEY_LENGTH:
        raise ExtractError(
            f"ITSM_PSEUDONYM_KEY is {len(key)} character(s) long; it must have at least {MIN_KEY_LENGTH}: a short "
            "key can be guessed, and with it every pseudonym can be traced back to a name. Use a long random "
            "secret (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`), kept outside the "
            "repository; the same key gives the same pseudonyms across extracts. Nothing written."
        )


def _matches(column: str, fields: tuple[str, ...]) -> bool:
    return any(column == f or column.endswith(f"_{f}") for f in fields)


def is_person_column(column: str) -> bool:
    return _matches(column, PERSON_FIELDS)


def is_free_text_column(column: str) -> bool:
    return _matches(column, FREE_TEXT_FIELDS)


def pseudonym(value: str, key: str) -> str:
    mac = hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + mac[:PSEUDONYM_HEX_DIGITS]


def key_fingerprint(key: str) -> str:
    """Names which key was used (for the manifest) without revealing it."""
    return hmac.new(key.encode("utf-8"), b"itsm-pseudonym-key-fingerprint", hashlib.sha256).hexdigest()[:16]


def apply_privacy(table: pa.Table, key: str | None, include_comments: bool) -> tuple[pa.Table, dict[str, list[str]]]:
    """Drop free-text columns (unless asked) and pseudonymize person columns (when a key is given).

    Returns the new table and what was done per column kind, for the manifest.
    """
    dropped = [] if include_comments else [c for c in table.column_names if is_free_text_column(c)]
    if dropped:
        table = table.drop_columns(dropped)
    pseudonymized = []
    if key is not None:
        for index, name in enumerate(table.column_names):
            if not is_person_column(name):
                continue
            values = table.column(index).cast(pa.string()).to_pylist()
            cache: dict[str, str] = {}
            mapped: list[str | None] = []
            for value in values:
                if value is not None and value not in cache:
                    cache[value] = pseudonym(value, key)
                mapped.append(None if value is None else cache[value])
            table = table.set_column(index, name, pa.array(mapped, type=pa.string()))
            pseudonymized.append(name)
    return table, {"dropped_free_text": dropped, "pseudonymized": pseudonymized}
