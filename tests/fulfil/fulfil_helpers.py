"""Helpers for the fulfilment tests, importable as ``fulfil_helpers``."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def write_pdfs(folder: Path) -> dict[str, Path]:
    out = {}
    for name in ("japon-fr", "japon-en", "perou-fr"):
        path = folder / f"{name}.pdf"
        path.write_bytes(PDF + name.encode())
        out[name] = path
    return out


def tenant_yaml(slug: str, pdfs: dict[str, Path], smtp_port: int | None = 9, follow_up: str = "",
                extra: str = "") -> str:
    smtp = f'    smtp: {{host: 127.0.0.1, port: {smtp_port}, from: "Voyages <contact@voyages.test>"}}\n' \
        if smtp_port else ""
    return f"""tenant: {slug}
name: {slug.title()}
timezone: Europe/Paris
holidays: FR
business_hours:
  mon-fri: ["09:00-18:00"]
queues:
  - name: ventes
  - name: brochures
  - name: rappels
plugins:
  email:
    enabled: true
    addresses: [contact@{slug}.test]
{smtp}  fulfil:
    enabled: true
    queue: brochures
    documents:
      japon:
        title: Circuit Japon
        products: [Circuit Japon]
        files: {{fr: {pdfs['japon-fr']}, en: {pdfs['japon-en']}}}
      perou:
        title: Pérou en liberté
        products: [Pérou]
        files: {{fr: {pdfs['perou-fr']}}}
        send_by: post
    email:
      subject: "Votre brochure {{{{ title }}}}"
      body: "Bonjour {{{{ name }}}}, voici la brochure {{{{ title }}}}."
    follow_up:
      after_business_days: 3
      queue: rappels
{follow_up}{extra}"""


def apply(ccctl, folder: Path, pdfs, **kwargs) -> None:
    folder.mkdir(exist_ok=True)
    for slug in ("voyages", "autre"):
        (folder / f"{slug}.yaml").write_text(tenant_yaml(slug, pdfs, **kwargs), encoding="utf-8")
    ccctl("tenant", "apply", "-f", str(folder))
    ccctl("agent", "add", "marie", "--serves", "voyages")


def new_item(app, slug: str, ref: str, *, email: str | None = "anna@example.fr", attributes=None,
             subject="Demande d'information", body="", customer_attributes=None, queue=None) -> int:
    from ccctl.customers import add_customer, owner_of
    from ccctl.db.models import Tenant
    from ccctl.queue.items import create_item

    with app.transaction() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
        customer = owner_of(session, tenant, "email", email) if email else None
        if customer is None:
            customer = add_customer(session, tenant, "Anna Petit", emails=[email] if email else [],
                                    phones=[] if email else ["0612345678"], attributes=customer_attributes or {})
        ctx = app.context(session, tenant)
        item, _ = create_item(ctx, "web", subject=subject, body=body, customer_id=customer.id, queue=queue,
                              attributes=attributes or {}, external_ref=ref)
        return item.id
