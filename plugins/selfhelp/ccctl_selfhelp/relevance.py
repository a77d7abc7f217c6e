"""Relevance of the search on a labelled query set (tests and bench share it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def load_queries(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, list) or not all(isinstance(q, dict) and q.get("query") and q.get("relevant")
                                             for q in data):
        raise ValueError(f"{path}: a list of {{query, relevant: [slugs]}} is expected")
    return data


def recall_at(k: int, queries: list[dict[str, Any]], search_slugs) -> tuple[float, list[dict[str, Any]]]:
    """Mean share of each query's relevant articles found in the top ``k``; and the misses.

    ``search_slugs(query, k)`` returns the ranked slugs.
    """
    total, misses = 0.0, []
    for q in queries:
        found = search_slugs(q["query"], k)
        share = len(set(q["relevant"]) & set(found)) / len(q["relevant"])
        total += share
        if share < 1:
            misses.append({"query": q["query"], "relevant": q["relevant"], "top": found})
    return total / len(queries), misses
