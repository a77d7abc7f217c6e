"""`ccctl faq build`: the static site's files, index and rebuilds."""

from __future__ import annotations

import json
import shutil

from .conftest import FAQ, TENANT


def test_build_writes_pages_index_and_script(faq, tmp_path):
    out = tmp_path / "site"
    faq("faq", "build", "--out", str(out), "-t", TENANT)
    pages = sorted(p.name for p in out.glob("*.html"))
    assert len(pages) == 21 and "index.html" in pages and "annuler-reservation.html" in pages
    article = (out / "annuler-reservation.html").read_text()
    assert 'href="assurance-annulation.html"' in article  # links between articles point at files
    assert "csrf_token" not in article  # no votes without a server
    index = json.loads((out / "search-index.json").read_text())
    assert len(index["articles"]) == 20 and "annul" in index["idf"]
    cancel = next(a for a in index["articles"] if a["slug"] == "annuler-reservation")
    assert cancel["terms"]["annul"] >= 10 and cancel["url"] == "annuler-reservation.html"
    js = (out / "search-index.js").read_text()
    assert js.startswith("window.FAQ_INDEX = {") and json.loads(js[len("window.FAQ_INDEX = "):-2]) == index
    assert "search.js" in (out / "index.html").read_text() and (out / "search.js").exists()


def test_rebuild_removes_pages_of_deleted_articles_and_keeps_other_files(faq, tmp_path):
    out = tmp_path / "site"
    faq("faq", "build", "--out", str(out), "-t", TENANT)
    (out / "logo.png").write_bytes(b"client's own file")
    folder = tmp_path / "faq"
    shutil.copytree(FAQ, folder)
    (folder / "animaux.md").unlink()
    faq("faq", "sync", str(folder), "-t", TENANT)
    first = (out / "index.html").read_text()
    faq("faq", "build", "--out", str(out), "-t", TENANT)
    assert not (out / "animaux.html").exists() and (out / "logo.png").exists()
    assert "animaux.html" in first and "animaux.html" not in (out / "index.html").read_text()
