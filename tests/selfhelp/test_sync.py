"""`ccctl faq sync`: idempotent, updates and removes, dry run, all-or-nothing on bad input."""

from __future__ import annotations

import json
import shutil

from .conftest import FAQ, TENANT, article, write


def listing(ccctl, tenant=TENANT):
    return {a["slug"]: a for a in ccctl.json("faq", "list", "-t", tenant)}


def test_sync_creates_then_leaves_unchanged_articles_untouched(example_tenants):
    ccctl = example_tenants
    created = ccctl.json("faq", "sync", str(FAQ), "-t", TENANT)
    assert len(created) == 20 and {c["action"] for c in created} == {"create"}
    before = listing(ccctl)
    again = ccctl("faq", "sync", str(FAQ), "-t", TENANT, "--format", "json")
    assert again.stdout.strip() == "[]"
    assert "0 created, 0 updated, 0 deleted, 20 unchanged" in again.stderr
    assert listing(ccctl) == before  # same updated_at: nothing was rewritten
    everything = ccctl.json("faq", "sync", str(FAQ), "-t", TENANT, "--all")
    assert len(everything) == 20 and {c["action"] for c in everything} == {"unchanged"}


def test_sync_updates_changed_and_removes_deleted(example_tenants, tmp_path):
    ccctl = example_tenants
    folder = tmp_path / "faq"
    shutil.copytree(FAQ, folder)
    ccctl("faq", "sync", str(folder), "-t", TENANT)
    before = listing(ccctl)
    write(folder, "animaux.md", article("Voyager avec un chien", "Les chiens de moins de 8 kg voyagent en cabine."))
    (folder / "facture.md").unlink()
    write(folder, "new/wifi.md", article("Y a-t-il du wifi à l'hôtel ?", tags="[wifi, hôtel]"))
    changes = ccctl.json("faq", "sync", str(folder), "-t", TENANT)
    assert sorted((c["action"], c["slug"]) for c in changes) == [
        ("create", "wifi"), ("delete", "facture"), ("update", "animaux")]
    after = listing(ccctl)
    assert "facture" not in after and after["wifi"]["source"] == "new/wifi.md"
    assert after["animaux"]["title"] == "Voyager avec un chien"
    assert after["animaux"]["updated_at"] > before["animaux"]["updated_at"]
    assert after["code-promo"]["updated_at"] == before["code-promo"]["updated_at"]
    # The index followed: the old text is gone, the new one is found.
    assert [h["slug"] for h in ccctl.json("faq", "search", "chien cabine", "-t", TENANT)][0] == "animaux"
    assert ccctl.json("faq", "search", "attestation comptabilité", "-t", TENANT) == []
    assert ccctl.json("faq", "search", "wifi", "-t", TENANT)[0]["slug"] == "wifi"


def test_dry_run_writes_nothing(example_tenants):
    ccctl = example_tenants
    result = ccctl("faq", "sync", str(FAQ), "-t", TENANT, "--dry-run", "--format", "json")
    assert "dry run, nothing written: 20 created" in result.stderr
    assert ccctl.json("faq", "list", "-t", TENANT) == []
    assert ccctl.json("faq", "search", "remboursement", "-t", TENANT) == []


def test_a_bad_file_stops_the_whole_sync(faq, tmp_path):
    folder = tmp_path / "faq"
    shutil.copytree(FAQ, folder)
    (folder / "animaux.md").unlink()
    write(folder, "broken.md", "---\ntitle: X\nslug: [\n---\n")
    write(folder, "dup.md", article("Doublon", slug="facture"))
    result = faq("faq", "sync", str(folder), "-t", TENANT, code=2)
    assert "broken.md:3: key 'slug': invalid YAML" in result.stderr or "broken.md:4" in result.stderr
    assert "facture.md:2: slug 'facture' is already used by dup.md:2" in result.stderr \
        or "dup.md:2: slug 'facture' is already used by" in result.stderr
    assert "animaux" in listing(faq)  # nothing was deleted


def test_tenants_have_their_own_articles(faq, tmp_path):
    write(tmp_path, "sinistre.md", article("Bris de pare-brise", "Déclarez le bris de glace sous 5 jours ouvrés.",
                                           slug="annuler-reservation"))
    faq("faq", "sync", str(tmp_path), "-t", "assurance-horizon")
    assert list(listing(faq, "assurance-horizon")) == ["annuler-reservation"]  # same slug, other tenant
    assert len(listing(faq)) == 20
    assert faq.json("faq", "search", "pare-brise", "-t", TENANT) == []
    assert faq.json("faq", "search", "remboursement", "-t", "assurance-horizon") == []
    assert faq.json("faq", "search", "pare-brise", "-t", "assurance-horizon")[0]["title"] == "Bris de pare-brise"


def test_show_and_missing_article(faq):
    shown = faq.json("faq", "show", "annuler-reservation", "-t", TENANT)
    assert shown["title"] == "Comment annuler ma réservation ?" and "| Délai avant le départ |" in shown["body"]
    result = faq("faq", "show", "nope", "-t", TENANT, code=1)
    assert "no article 'nope'" in result.stderr


def test_sync_warns_when_the_tenant_does_not_enable_selfhelp(example_tenants, tmp_path):
    from .conftest import tenant_yaml

    example_tenants("tenant", "apply", "-f", str(tenant_yaml(tmp_path, "sans-faq", "enabled: false")))
    result = example_tenants("faq", "sync", str(FAQ), "-t", "sans-faq", "--format", "json")
    assert "warning: tenant sans-faq does not enable selfhelp" in result.stderr
    assert "warning" not in example_tenants("faq", "sync", str(FAQ), "-t", TENANT).stderr


def test_all_tenants_syncs_each_sub_folder_on_its_own(example_tenants, tmp_path):
    """Cron form: FOLDER/<slug>/ per tenant; one tenant's bad file skips that tenant only (exit 1)."""
    ccctl = example_tenants
    shutil.copytree(FAQ, tmp_path / TENANT)
    write(tmp_path / "assurance-horizon", "broken.md", "---\ntitle: X\nslug: [\n---\n")
    result = ccctl("faq", "sync", str(tmp_path), "--all-tenants", "--format", "json", code=1)
    assert "tenant assurance-horizon: skipped" in result.stderr and "broken.md" in result.stderr
    assert len(listing(ccctl)) == 20 and listing(ccctl, "assurance-horizon") == {}
    (tmp_path / "assurance-horizon" / "broken.md").unlink()
    write(tmp_path / "assurance-horizon", "sinistre.md", article("Bris de glace", slug="bris"))
    quiet = ccctl("faq", "sync", str(tmp_path), "--all-tenants", "--quiet")
    assert (quiet.stdout, quiet.stderr) == ("", "")
    assert list(listing(ccctl, "assurance-horizon")) == ["bris"]
    checked = json.loads(ccctl("status", "--no-probe", "--format", "json", code=1).stdout)  # example secrets unset
    status = {(r["tenant"], r["check"]): r["status"] for r in checked}
    assert status[("assurance-horizon", "cron faq sync")] == "ok"
