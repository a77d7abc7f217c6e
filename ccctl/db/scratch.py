"""Throwaway PostgreSQL schemas, so test and benchmark runs never see each other's rows."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator


def in_schema(url: str, schema: str) -> str:
    """``url`` with every connection's ``search_path`` set to ``schema``."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


@contextlib.contextmanager
def scratch_schema(url: str, prefix: str) -> Iterator[str]:
    """Create a uniquely named schema in the PostgreSQL database ``url``, yield a URL that uses it,
    and drop it (with everything in it) when the block ends, even on error."""
    from sqlalchemy import create_engine, text

    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield in_schema(url, schema)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()
