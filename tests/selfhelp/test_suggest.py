"""Suggestions on new items and the automatic answer, through the real create_item and hooks."""

from __future__ import annotations

from sqlalchemy import select

from ccctl.context import App
from ccctl.customers import find_or_create
from ccctl.db.models import Interaction
from ccctl.hookspecs import hookimpl
from ccctl.plugins import get_plugin_manager
from ccctl.queue.items import create_item
from ccctl_selfhelp.models import Suggestion

from .conftest import FAQ, TENANT, tenant_yaml

CANCEL = "Bonjour, je voudrais annuler ma réservation pour Lisbonne. Merci, Élodie"


def new_item(app, tenant_slug, channel="email", subject="Annulation", body=CANCEL, email="elodie@example.fr"):
    with app.session() as session:
        tenant = app.tenant(session, tenant_slug)
        ctx = app.context(session, tenant)
        customer, _ = find_or_create(session, tenant, "email", email)
        item, _ = create_item(ctx, channel, subject=subject, body=body, customer_id=customer.id)
        session.commit()
        rows = session.scalars(select(Suggestion).where(Suggestion.item_id == item.id)
                               .order_by(Suggestion.rank)).all()
        history = session.scalars(select(Interaction).where(Interaction.item_id == item.id,
                                                            Interaction.channel == "selfhelp")).all()
        return item, rows, history


def test_an_email_item_gets_the_top_articles(faq, app):
    item, rows, history = new_item(app, TENANT)
    suggestions = item.attributes["suggestions"]
    assert suggestions[0]["slug"] == "annuler-reservation"
    assert suggestions[0]["url"] == f"/t/{TENANT}/faq/annuler-reservation"
    assert len(suggestions) == len(rows) == 3  # the tenant's default
    assert [r.rank for r in rows] == [1, 2, 3] and rows[0].match == 1.0
    assert "auto_answer" not in item.attributes and history == []  # off unless the tenant allows it


def test_web_requests_are_matched_on_the_message_not_the_made_up_subject(faq, app):
    item, rows, _ = new_item(app, TENANT, channel="web", subject="Information request from Jean Valise",
                             body="Mon chien peut-il voyager avec moi ?")
    slugs = [s["slug"] for s in item.attributes["suggestions"]]
    assert slugs[0] == "animaux" and "bagages-perdus" not in slugs and len(rows) == len(slugs)


def test_other_channels_tenants_and_quoted_text_get_nothing(faq, app, tmp_path):
    item, rows, _ = new_item(app, TENANT, channel="sms")
    assert "suggestions" not in item.attributes and rows == []
    faq("tenant", "apply", "-f", str(tenant_yaml(tmp_path, "sans-faq", "enabled: false")))
    faq("faq", "sync", str(FAQ), "-t", "sans-faq")
    item, rows, _ = new_item(app, "sans-faq")
    assert "suggestions" not in item.attributes and rows == []
    item, rows, _ = new_item(app, TENANT, subject="Re: 4711", body="> annuler ma réservation\n> merci")
    assert item.attributes["suggestions"] == [] and rows == []


class Sender:
    """A channel plugin that can reply: records what selfhelp asked it to send."""

    def __init__(self, sends: bool) -> None:
        self.sends, self.answers = sends, []

    @hookimpl
    def ccctl_auto_answer(self, item, answer, ctx):
        self.answers.append((item.id, answer))
        return self.sends


def auto_tenant(ccctl, tmp_path, db_url, sends=True, threshold="0.8"):
    ccctl("tenant", "apply", "-f", str(tenant_yaml(tmp_path, "auto", f"""
        enabled: true
        auto_answer: true
        auto_answer_threshold: {threshold}
        suggestions: 5
        public_url: https://aide.example.fr/faq/
        """, email=False)))
    ccctl("faq", "sync", str(FAQ), "-t", "auto")
    sender = Sender(sends)
    return App(get_plugin_manager(extra=[sender]), db_url), sender


def test_a_strong_unambiguous_match_is_answered_and_recorded(example_tenants, tmp_path, db_url):
    app, sender = auto_tenant(example_tenants, tmp_path, db_url)
    item, rows, history = new_item(app, "auto", subject="Annuler ma réservation ?", body="")
    answer = item.attributes["auto_answer"]
    assert answer == {"slug": "annuler-reservation", "url": "https://aide.example.fr/faq/annuler-reservation",
                      "match": 1.0, "sent": True}
    assert [r.auto_answered for r in rows].count(True) == 1 and rows[0].auto_answered
    (sent_item, sent), = sender.answers
    assert sent_item == item.id and sent["title"] == "Comment annuler ma réservation ?"
    assert "espace client" in sent["text"] and "**" not in sent["text"]  # plain text, no Markdown
    (event,) = history
    assert event.direction == "out" and event.customer_id == item.customer_id
    assert event.summary == "Automatic answer sent: Comment annuler ma réservation ?"
    app.engine.dispose()


def test_no_sender_means_proposed_not_sent(example_tenants, tmp_path, db_url):
    app, _ = auto_tenant(example_tenants, tmp_path, db_url, sends=None)
    item, _, history = new_item(app, "auto", subject="Annuler ma réservation ?", body="")
    assert item.attributes["auto_answer"]["sent"] is False
    assert history[0].direction == "internal" and "no email plugin sent it" in history[0].summary
    app.engine.dispose()


def test_ambiguous_or_weak_matches_are_left_to_agents(example_tenants, tmp_path, db_url):
    app, sender = auto_tenant(example_tenants, tmp_path, db_url)
    # Both "Comment annuler ma réservation ?" and "Sous quel délai suis-je remboursé après une
    # annulation ?" have all their title terms in this request: an agent should choose.
    item, rows, history = new_item(app, "auto", subject="Annulation",
                                   body="Quel délai de remboursement si j'annule ma réservation ?")
    assert {r.match for r in rows[:2]} == {1.0}
    assert "auto_answer" not in item.attributes and history == [] and sender.answers == []
    item, rows, history = new_item(app, "auto", subject="Question", body="Puis-je annuler ?")
    assert rows and "auto_answer" not in item.attributes and history == []
    app.engine.dispose()


def test_suggest_hook_for_other_plugins(faq, app):
    with app.session() as session:
        tenant = app.tenant(session, TENANT)
        ctx = app.context(session, tenant)
        (found,) = [r for r in ctx.hook("ccctl_suggest_answers")(item=None, text="valise perdue", ctx=ctx) if r]
    assert found[0]["slug"] == "bagages-perdus" and found[0]["url"].endswith("/faq/bagages-perdus")


def test_faq_suggest_shows_the_decision_without_changing_anything(example_tenants, tmp_path, db_url):
    app, _ = auto_tenant(example_tenants, tmp_path, db_url)
    result = example_tenants("faq", "suggest", "Annuler ma réservation ?", "-t", "auto", "--format", "json")
    assert "automatic answer: annuler-reservation (" in result.stderr
    import json

    rows = json.loads(result.stdout)
    assert rows[0]["slug"] == "annuler-reservation" and rows[0]["auto_answer"] is True
    assert not any(r["auto_answer"] for r in rows[1:])
    off = example_tenants("faq", "suggest", "Annuler ma réservation ?", "-t", TENANT, "--format", "json")
    assert "automatic answer: no (automatic answers are off" in off.stderr
    app.engine.dispose()


def test_a_failing_search_never_stops_the_item(faq, app, monkeypatch, caplog):
    from sqlalchemy.exc import OperationalError

    import ccctl_selfhelp.suggest as suggest

    def broken(*args, **kwargs):
        raise OperationalError("SELECT ...", {}, Exception("database is locked"))

    monkeypatch.setattr(suggest, "search", broken)
    item, rows, _ = new_item(app, TENANT)
    assert item.id and "suggestions" not in item.attributes and rows == []
    assert "no FAQ suggestions for item" in caplog.text


def test_item_show_lists_the_suggestions_of_the_tenants_plugins(faq, app):
    with app.session() as session:
        tenant = app.tenant(session, TENANT)
        item, _ = create_item(app.context(session, tenant), "email", subject="Valise perdue",
                              body="Ma valise n'est pas arrivée à Lisbonne.")
        other = app.tenant(session, "assurance-horizon")
        theirs, _ = create_item(app.context(session, other), "email", subject="Valise perdue", body="")
        session.commit()
    shown = faq.json("item", "show", str(item.id), "-t", TENANT)
    assert shown["suggestions"][0]["plugin"] == "selfhelp"
    assert shown["suggestions"][0]["url"].endswith("/faq/bagages-perdus")
    scores = [s["score"] for s in shown["suggestions"]]
    assert scores == sorted(scores, reverse=True)
    # The insurer has synced no FAQ: it is never offered the travel agency's articles.
    assert faq.json("item", "show", str(theirs.id), "-t", "assurance-horizon")["suggestions"] == []
