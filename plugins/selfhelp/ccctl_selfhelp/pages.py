"""Rendering the FAQ pages (served and static share the templates) and their wording."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

LABELS = {
    "fr": {"faq": "Aide", "heading": "Comment pouvons-nous vous aider ?", "placeholder": "Votre question…",
           "search": "Rechercher", "no_results": "Aucun article ne correspond. Essayez d'autres mots.",
           "all_articles": "Tous les articles", "back": "Toutes les questions",
           "helped": "Cet article vous a-t-il aidé ?", "yes": "Oui", "no": "Non", "thanks": "Merci pour votre avis !"},
    "en": {"faq": "Help", "heading": "How can we help?", "placeholder": "Your question…", "search": "Search",
           "no_results": "No article matches. Try other words.", "all_articles": "All articles",
           "back": "All questions", "helped": "Did this article help?", "yes": "Yes", "no": "No",
           "thanks": "Thank you for your feedback!"},
}


def labels(lang: str) -> dict[str, str]:
    return LABELS.get(lang, LABELS["en"])


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                       autoescape=select_autoescape(["html"]), undefined=StrictUndefined)


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
