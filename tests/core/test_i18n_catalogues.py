"""Every text a customer or client reads comes from a catalogue, complete in French and English.

The messages are extracted from the sources with Babel (Python ``_()``/``N_()``, Jinja ``{% trans %}``
and ``_()``) for core and every built-in plugin; each must be translated (not empty, not fuzzy, same
placeholders) in each language, no catalogue may hold an id the sources dropped, and the shipped
``.mo`` must be the compiled ``.po``. Fix with ``python scripts/i18n.py update|compile`` and a
translation (docs/developing.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccctl.i18n import LANGUAGES, N_, Text, language, translate, translator
from ccctl.testing.catalogues import extract, problems, update

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = ["ccctl"] + sorted(p.name for p in ROOT.glob("plugins/*/ccctl_*") if p.is_dir())


@pytest.mark.parametrize("domain", DOMAINS)
def test_catalogues_complete_and_in_sync_with_the_sources(domain):
    assert problems(domain) == []


def test_every_surface_has_its_texts_extracted():
    """The surfaces customers see are wrapped (a template left in plain English would pass the check above)."""
    core = {str(m.id) for m in extract("ccctl")}
    assert {"Please give your name.", "Thank you", "SLA met", "Send"} <= core


@pytest.fixture
def probe(tmp_path, monkeypatch):
    """A package ``ccctl_probe`` with one text for customers and its catalogues, written by update()."""
    package = tmp_path / "ccctl_probe"
    (package / "templates").mkdir(parents=True)
    (package / "__init__.py").write_text('from ccctl.i18n import N_\nGREETING = N_("Hello %(name)s")\n')
    (package / "templates" / "page.html").write_text("<p>{% trans %}Goodbye{% endtrans %}</p>\n")
    (package / "locale").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    return package


def test_checker_finds_untranslated_missing_obsolete_and_stale(probe):
    update("ccctl_probe")
    fr = probe / "locale/fr/LC_MESSAGES/ccctl_probe.po"
    found = problems("ccctl_probe")
    assert any("'Goodbye' is not translated" in line and "/fr/" in line for line in found)
    assert any("'Hello %(name)s' is not translated" in line for line in found)
    assert not any("/en/" in line and "not translated" in line for line in found)  # en: the sources' words
    assert any(line.endswith("(run scripts/i18n.py compile)") for line in found)
    fr.write_text(fr.read_text().replace('msgid "Goodbye"\nmsgstr ""', 'msgid "Goodbye"\nmsgstr "Au revoir"')
                  .replace('msgid "Hello %(name)s"\nmsgstr ""', 'msgid "Hello %(name)s"\nmsgstr "Bonjour %(nom)s"'))
    found = problems("ccctl_probe")
    assert any("'Hello %(name)s': the translation's placeholders differ" in line for line in found)
    assert not any("Goodbye" in line for line in found)
    (probe / "templates" / "page.html").write_text("<p>{% trans %}See you{% endtrans %}</p>\n")
    found = problems("ccctl_probe")
    assert any("'See you' of the sources is missing" in line for line in found)
    assert any("'Goodbye' is used by no source" in line for line in found)


@pytest.mark.parametrize("locale, lang", [("fr_FR", "fr"), ("fr", "fr"), ("fr_CA", "fr"), ("en_GB", "en"),
                                          ("de_DE", "en"), (None, "en"), ("", "en"), ("FR-be", "fr")])
def test_language_of_a_locale(locale, lang):
    assert language(locale) == lang


@given(st.one_of(st.none(), st.text(max_size=20)))
def test_language_is_always_one_with_a_catalogue(locale):
    assert language(locale) in LANGUAGES


def test_text_is_english_for_the_cli_and_translated_for_a_page():
    message = N_("Your name must be at most %(max)d characters.", max=200)
    assert isinstance(message, Text) and str(message) == "Your name must be at most 200 characters."
    assert translate(message, translator("fr_FR")) == "Votre nom doit faire au plus 200 caractères."
    assert translate(message, translator("en_GB")) == str(message)
    assert translate("a tenant's own words", translator("fr_FR")) == "a tenant's own words"


def test_a_plugin_domain_falls_back_to_core_words():
    assert translator("fr_FR", "ccctl_callback").gettext("Send") == "Envoyer"  # core's catalogue
    assert translator("fr_FR", "ccctl_no_such_plugin").gettext("Send") == "Envoyer"
    assert translator("fr_FR", "demo-templates.v2").gettext("Send") == "Envoyer"  # a folder that is no package


def per_language_templates() -> dict[tuple[Path, str], dict[str, Path]]:
    """Built-in texts kept as one template per language (mails, SMS: ``ack.fr.j2``, ``reminder.en.txt``)."""
    found: dict[tuple[Path, str], dict[str, Path]] = {}
    for path in ROOT.glob("plugins/*/ccctl_*/templates/*.*.*"):
        name, lang, _ext = path.name.split(".", 2)
        found.setdefault((path.parent, name), {})[lang] = path
    return found


def test_per_language_templates_exist_in_every_language_with_the_same_fields():
    from jinja2 import Environment, meta

    templates = per_language_templates()
    assert len(templates) >= 4  # email ack and answer, SMS confirmation and reminder
    env = Environment()
    for (folder, name), by_lang in templates.items():
        assert set(LANGUAGES) <= set(by_lang), f"{folder}/{name}: missing {set(LANGUAGES) - set(by_lang)}"
        fields = {lang: meta.find_undeclared_variables(env.parse(path.read_text(encoding="utf-8")))
                  for lang, path in by_lang.items()}
        assert all(f == fields["en"] for f in fields.values()), f"{folder}/{name}: {fields}"


@pytest.mark.parametrize("header, allowed, expected", [
    ("en-GB,en;q=0.9,fr;q=0.8", ["en"], "en"),
    ("en-GB,en;q=0.9,fr;q=0.8", [], "fr_FR"),  # the tenant allows no other language
    ("de-DE,fr;q=0.5,en;q=0.4", ["en"], "fr_FR"),  # its own language preferred
    ("fr;q=0.4, en;q=0.6", ["en"], "en"),
    ("en;q=0, fr", ["en"], "fr_FR"),  # q=0: not acceptable
    ("EN", ["en"], "en"),
    ("de, es", ["en"], "fr_FR"),
    ("en;q=abc", ["en"], "fr_FR"),
    ("", ["en"], "fr_FR"),
    (None, ["en"], "fr_FR"),
])
def test_accept_language_only_among_the_tenants_languages(header, allowed, expected):
    from ccctl.i18n import negotiate

    assert negotiate(header, "fr_FR", allowed) == expected


@given(st.one_of(st.none(), st.text(max_size=200)), st.lists(st.sampled_from(["en", "fr", "de", ""]), max_size=3))
def test_negotiate_never_fails_and_stays_within_what_the_tenant_allows(header, allowed):
    from ccctl.i18n import negotiate

    chosen = negotiate(header, "fr_FR", allowed)
    assert chosen == "fr_FR" or chosen in allowed
