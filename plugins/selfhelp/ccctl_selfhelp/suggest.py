"""Suggestions on new items, and the automatic-answer decision.

When an item arrives on a channel the tenant lists in ``suggest_channels``, its subject and
body are searched; the best articles are stored in ``selfhelp_suggestions`` and copied to
``item.attributes["suggestions"]`` for agents.  With ``auto_answer: true``, a strong and
unambiguous match (see :func:`decide`) is offered to the channel plugin through the
``ccctl_auto_answer`` hook, and recorded in the customer's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ccctl_selfhelp.config import SelfhelpConfig
from ccctl_selfhelp.search import Hit, search


@dataclass
class Decision:
    hit: Hit | None
    reason: str


def request_text(subject: str, body: str) -> str:
    """Subject and body without quoted replies (lines starting with '>')."""
    kept = [line for line in (body or "").splitlines() if not line.lstrip().startswith(">")]
    return f"{subject or ''}\n" + "\n".join(kept)


def decide(hits: list[Hit], config: SelfhelpConfig) -> Decision:
    """Answer automatically only when allowed, when the best article's title terms are
    (nearly) all in the request, and when no other article matches as well: two strong
    candidates mean the request is ambiguous, and an agent should choose."""
    if not config.auto_answer:
        return Decision(None, "automatic answers are off for this tenant")
    strong = [h for h in hits if h.match >= config.auto_answer_threshold]
    if not strong:
        return Decision(None, f"no article reaches the threshold {config.auto_answer_threshold}")
    if len(strong) > 1:
        return Decision(None, f"ambiguous: {', '.join(h.slug for h in strong)} all match")
    return Decision(strong[0], f"'{strong[0].slug}' matches {strong[0].match:.0%} of its title terms")


def suggest_for_item(item, ctx) -> list[dict[str, Any]]:
    """Attach suggestions to ``item`` (and maybe answer it); return what was attached."""
    from ccctl_selfhelp.models import Suggestion
    from ccctl_selfhelp.publish import article_url

    config = SelfhelpConfig.model_validate(ctx.tenant.plugin_config("selfhelp"))
    if item.channel not in config.suggest_channels:
        return []
    # Web forms make their subject up (core's contact form: "Information request from <name>"):
    # only the visitor's message says what they need.
    subject = "" if item.channel == "web" else item.subject
    hits = search(ctx.session, ctx.tenant, request_text(subject, item.body), limit=config.suggestions)
    decision = decide(hits, config)
    attached = []
    for rank, hit in enumerate(hits, start=1):
        auto = decision.hit is hit
        ctx.session.add(Suggestion(tenant_id=ctx.tenant.id, item_id=item.id, article_id=hit.article_id, rank=rank,
                                   score=hit.score, match=hit.match, auto_answered=auto))
        attached.append({"slug": hit.slug, "title": hit.title, "url": article_url(ctx.tenant, hit.slug),
                         "score": round(hit.score, 4), "match": round(hit.match, 2)})
    attributes = {**(item.attributes or {}), "suggestions": attached}
    if decision.hit is not None:
        attributes["auto_answer"] = _auto_answer(item, decision, ctx)
    item.attributes = attributes  # a new dict: JSON columns do not see in-place changes
    ctx.session.flush()
    return attached


def _auto_answer(item, decision: Decision, ctx) -> dict[str, Any]:
    from ccctl.customers import record_interaction
    from ccctl_selfhelp.publish import article_url, get_article
    from ccctl_selfhelp.render import to_text

    hit = decision.hit
    article = get_article(ctx.session, ctx.tenant, hit.slug)
    answer = {"slug": hit.slug, "title": hit.title, "url": article_url(ctx.tenant, hit.slug),
              "text": to_text(article.body), "match": round(hit.match, 2)}
    sent = bool(ctx.hook("ccctl_auto_answer")(item=item, answer=answer, ctx=ctx))
    record_interaction(
        ctx.session, ctx.tenant, "selfhelp", customer_id=item.customer_id, item_id=item.id,
        direction="out" if sent else "internal", external_id=f"auto-answer:{item.id}",
        summary=(f"Automatic answer sent: {hit.title}" if sent
                 else f"Automatic answer proposed, no {item.channel} plugin sent it: {hit.title}"),
        payload={"slug": hit.slug, "url": answer["url"], "match": answer["match"], "reason": decision.reason},
        actor="selfhelp",
    )
    return {"slug": hit.slug, "url": answer["url"], "match": answer["match"], "sent": sent}
