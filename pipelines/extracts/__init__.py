"""Compliance audit extracts: reproducible, checksummed, pseudonymized evidence from the warehouse.

One module per extract kind (`sla_breaches`, `changes`, `availability`, `data_quality`, `lineage`), plus the
machinery they share: the request (`request`), deterministic file writing (`writer`), privacy (`privacy`),
the manifest (`manifest`), verification (`verify`), the runner (`runner`), period close (`period_close`) and
analyst access (`analyst`).
"""
