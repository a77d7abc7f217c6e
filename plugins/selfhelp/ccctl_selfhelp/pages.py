"""Rendering the FAQ pages (served and static share the templates) and their wording."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from ccctl.i18n import N_

# The words of the FAQ pages; their translations are in locale/<lang>/LC_MESSAGES/ccctl_selfhelp.po.
LABELS = {"faq": N_("Help"), "heading": N_("How can we help?"), "placeholder": N_("Your question…"),
          "search": N_("Search"), "no_results": N_("No article matches. Try other words."),
          "all_articles": N_("All articles"), "back": N_("All questions"), "helped": N_("Did this article help?"),
          "yes": N_("Yes"), "no": N_("No"), "thanks": N_("Thank you for your feedback!")}


def labels(lang: str) -> dict[str, str]:
    """The page words in ``lang`` (``fr``, ``en``; others get English), from the plugin's catalogues."""
    from ccctl.i18n import translate, translator

    t = translator(lang, "ccctl_selfhelp")
    return {key: translate(text, t) for key, text in LABELS.items()}


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                       autoescape=select_autoescape(["html"]), undefined=StrictUndefined)


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
