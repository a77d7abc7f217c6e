"""Reading article folders: Markdown front matter and YAML, with errors naming file and line."""

from __future__ import annotations

import pytest

from ccctl.errors import InputError
from ccctl_selfhelp.articles import load_folder

from .conftest import FAQ, article, write


def test_example_folder_reads_markdown_and_yaml():
    articles = {a.slug: a for a in load_folder(FAQ, "fr")}
    assert len(articles) == 20
    cancel = articles["annuler-reservation"]
    assert cancel.title == "Comment annuler ma réservation ?"
    assert cancel.tags == ["annulation", "réservation"] and cancel.locale == "fr"
    assert cancel.body.startswith("Vous pouvez annuler") and cancel.where == "annuler-reservation.md:2"
    assert articles["cancel-booking"].locale == "en" and articles["cancel-booking"].source == "en/cancel-booking.md"
    # Two articles from one YAML list, slugs given, lines pointing at each title.
    assert articles["paiement-plusieurs-fois"].where == "paiement.yaml:2"
    assert articles["moyens-paiement"].where == "paiement.yaml:9"
    assert "3 ou 4 fois" in articles["paiement-plusieurs-fois"].body


def test_defaults_slug_from_file_and_locale_from_tenant(tmp_path):
    write(tmp_path, "Bagages Été.md", article("Bagages"))
    write(tmp_path, "README.md", "not an article")
    write(tmp_path, "_draft.md", "not an article either")
    write(tmp_path, "image.png", "binary")
    write(tmp_path, "one.yaml", "title: Une\nbody: Corps\ntags: a, b\n")
    (only, one) = sorted(load_folder(tmp_path, "en"), key=lambda a: a.slug)
    assert only.slug == "bagages-ete" and only.locale == "en"
    assert one.slug == "one" and one.tags == ["a", "b"] and one.body == "Corps"


def test_checksum_changes_with_content_only(tmp_path):
    write(tmp_path, "a.md", article("Titre", "Corps"))
    first = load_folder(tmp_path, "fr")[0].checksum
    assert load_folder(tmp_path, "fr")[0].checksum == first
    write(tmp_path, "a.md", article("Titre", "Corps modifié"))
    assert load_folder(tmp_path, "fr")[0].checksum != first


@pytest.mark.parametrize("name, text, expected", [
    ("nofront.md", "# Titre\nCorps\n", "nofront.md:1: a Markdown article starts with YAML front matter"),
    ("open.md", "---\ntitle: X\nCorps\n", "open.md:1: the front matter is not closed"),
    ("broken.md", "---\ntitle: X\ntags: [a, b\nslug: y\n---\nCorps\n", "broken.md:4: key 'tags': invalid YAML"),
    ("list.md", "---\n- a\n- b\n---\nCorps\n", "list.md:2: the front matter must be a mapping"),
    ("notitle.md", "---\ntags: [a]\n---\nCorps\n", "notitle.md:2: 'title' is missing or empty"),
    ("unknown.md", "---\ntitle: X\nauthor: moi\n---\n", "unknown.md:3: key 'author': unknown key"),
    ("slug.md", "---\ntitle: X\n\nslug: Pas Un Slug\n---\n", "slug.md:4: key 'slug': 'Pas Un Slug' is not a slug"),
    ("locale.md", "---\ntitle: X\nlocale: zz\n---\n", "locale.md:3: key 'locale': no stemmer for 'zz'"),
    ("tags.md", "---\ntitle: X\ntags: {a: 1}\n---\n", "tags.md:3: key 'tags': tags are a list"),
    ("twice.md", "---\ntitle: X\ntitle: Y\n---\n", "twice.md:3: key 'title': duplicate key"),
    ("title.md", "---\ntitle: [1, 2]\n---\n", "title.md:2: key 'title': must be text"),
    ("nobody.yaml", "title: X\n", "nobody.yaml:1: 'body' is missing or empty"),
    ("scalar.yaml", "just text\n", "scalar.yaml:1: a YAML article file holds one article"),
    ("items.yaml", "- title: A\n  body: B\n- 3\n", "items.yaml:3: key '[1]': each article is a mapping"),
])
def test_bad_files_are_named_with_their_line(tmp_path, name, text, expected):
    write(tmp_path, "good.md", article("Bon"))
    write(tmp_path, name, text)
    with pytest.raises(InputError) as info:
        load_folder(tmp_path, "fr")
    assert expected in info.value.message


def test_every_problem_is_listed_at_once_and_duplicate_slugs_name_both_files(tmp_path):
    write(tmp_path, "a.md", article("A", slug="meme"))
    write(tmp_path, "sub/b.md", article("B", slug="meme"))
    write(tmp_path, "c.md", "no front matter")
    (tmp_path / "latin1.md").write_bytes("---\ntitle: Été\n---\n".encode("latin-1"))
    with pytest.raises(InputError) as info:
        load_folder(tmp_path, "fr")
    message = info.value.message
    assert message.startswith("3 problem(s)")
    assert "c.md:1: a Markdown article starts" in message
    assert "latin1.md: not UTF-8 text" in message
    assert "sub/b.md:2: slug 'meme' is already used by a.md:2" in message


def test_missing_folder(tmp_path):
    with pytest.raises(InputError, match="not a folder of articles"):
        load_folder(tmp_path / "nope", "fr")
