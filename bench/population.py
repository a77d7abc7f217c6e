"""A large, realistic customer base for the benchmarks, built with bulk inserts and cached.

Customer ``i`` (0-based) has the phone ``+336`` + ``10000000 + i`` and the email
``client{i}@example.fr``, so a benchmark can look up any of them without a query first.
SQLite files are cached as ``bench/out/customers-{N}.db`` (git-ignored); another
database is filled once and reused while it holds exactly N customers for the tenant.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "out"
TENANT = "voyages-lumiere"
BATCH = 20_000

FIRST = ["Élodie", "Karim", "Sophie", "Jean-Luc", "Camille", "Nicolas", "Léa", "Thomas", "Inès", "Hugo",
         "Chloé", "Lucas", "Manon", "Yanis", "Sarah", "Antoine", "Julie", "Mehdi", "Emma", "Pierre"]
LAST = ["Martin", "Benali", "Lefèvre", "Moreau", "Bernard", "Dubois", "Durand", "Leroy", "Roux", "Fournier",
        "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Faure", "Blanc"]


def phone(i: int) -> str:
    return f"+336{10_000_000 + i}"


def email(i: int) -> str:
    return f"client{i}@example.fr"


def database_url(customers: int, explicit: str | None) -> str:
    if explicit:
        return explicit
    OUT.mkdir(exist_ok=True)
    return f"sqlite:///{OUT / f'customers-{customers}.db'}"


def ensure_population(url: str, customers: int) -> None:
    """Apply the example tenants and insert ``customers`` customers unless already there."""
    from sqlalchemy import delete, func, insert, select

    from ccctl.context import App
    from ccctl.db.models import ContactPoint, Customer, Tenant
    from ccctl.plugins import get_plugin_manager
    from ccctl.tenants import apply, load_configs

    app = App(get_plugin_manager(), url)
    with app.session() as session:
        from ccctl.plugins import plugin_names

        configs = load_configs([ROOT / "examples" / "clients"], app.config_schemas(), set(plugin_names(app.pm)))
        apply(session, configs)
        session.commit()
        tenant = session.scalar(select(Tenant).where(Tenant.slug == TENANT))
        have = session.scalar(select(func.count()).select_from(Customer).where(Customer.tenant_id == tenant.id))
        if have == customers:
            return
        session.execute(delete(ContactPoint).where(ContactPoint.tenant_id == tenant.id))
        session.execute(delete(Customer).where(Customer.tenant_id == tenant.id))
        start_id = (session.scalar(select(func.max(Customer.id))) or 0) + 1
        session.commit()
    print(f"building {customers:,} customers in {url} (once; cached)...", file=sys.stderr)
    started = time.perf_counter()
    rng = random.Random(42)
    now = datetime.now(timezone.utc)
    with app.engine.begin() as conn:
        for offset in range(0, customers, BATCH):
            people, points = [], []
            for i in range(offset, min(offset + BATCH, customers)):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                name = f"{first} {last}"
                cid = start_id + i
                people.append({"id": cid, "tenant_id": tenant.id, "name": name,
                               "name_key": _key(name), "attributes": {}, "created_at": now})
                points.append({"tenant_id": tenant.id, "customer_id": cid, "kind": "phone", "value": phone(i)})
                points.append({"tenant_id": tenant.id, "customer_id": cid, "kind": "email", "value": email(i)})
            conn.execute(insert(Customer), people)
            conn.execute(insert(ContactPoint), points)
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('customers', 'id'), "
                                 "(SELECT max(id) FROM customers))")
            conn.exec_driver_sql("ANALYZE customers")
            conn.exec_driver_sql("ANALYZE contact_points")
        else:
            conn.exec_driver_sql("ANALYZE")
    app.engine.dispose()
    print(f"built in {time.perf_counter() - started:.1f} s", file=sys.stderr)


_KEYS: dict[str, str] = {}


def _key(name: str) -> str:
    # 400 distinct names: normalise each once, not a million times.
    if name not in _KEYS:
        from ccctl.contacts import name_key

        _KEYS[name] = name_key(name)
    return _KEYS[name]
