"""Routing rules: matching, first rule wins, applied by create_item, validated in the YAML, `route test`."""

import json

import pytest

from ccctl.customers import add_customer
from ccctl.queue.config import RoutingRule
from ccctl.queue.routing import Sample, as_number, route, why_not

QUEUES = [{"name": "general"}, {"name": "claims"}]


def rule(**match) -> RoutingRule:
    return RoutingRule.model_validate({"name": "r", "queue": "claims", "match": match})


@pytest.mark.parametrize("match, sample, matches", [
    ({}, Sample("sms"), True),
    ({"channel": "email"}, Sample("email"), True),
    ({"channel": ["email", "web"]}, Sample("sms"), False),
    ({"keywords": ["remboursement"]}, Sample("email", subject="Demande de REMBOURSEMENT"), True),
    ({"keywords": ["remboursé"]}, Sample("email", body="J'ai été rembourse hier"), True),  # accents ignored
    ({"keywords": ["refund"]}, Sample("email", body="refunded already"), False),  # whole words only
    ({"keywords": ["carte bleue"]}, Sample("email", body="ma Carte-Bleue ne passe pas"), True),
    ({"customer": {"segment": ["gold", "platinum"]}}, Sample("email", customer={"segment": "Gold"}), True),
    ({"customer": {"segment": "gold"}}, Sample("email", customer={}), False),
    ({"customer": {"vip": True}}, Sample("email", customer={"vip": False}), False),
    ({"attributes": {"referral_code": ["ACME"]}}, Sample("web", attributes={"referral_code": "acme"}), True),
    ({"attributes": {"referral_code": ["ACME"]}}, Sample("web", attributes={"referral_code": None}), False),
    ({"numbers": {"amount": ">= 1000"}}, Sample("web", attributes={"amount": 1000}), True),
    ({"numbers": {"amount": ">= 1000"}}, Sample("web", attributes={"amount": "999.99"}), False),
    ({"numbers": {"amount": ">= 1000"}}, Sample("web", attributes={"amount": "1 200,50"}), True),
    ({"numbers": {"amount": [">= 100", "< 1000"]}}, Sample("web", attributes={"amount": 1000}), False),
    ({"numbers": {"amount": "> 5"}}, Sample("web", attributes={"amount": "lots"}), False),
    ({"numbers": {"amount": "> 5"}}, Sample("web"), False),
    ({"numbers": {"orders": ">= 3"}}, Sample("web", customer={"orders": 4}), True),  # falls back to customer
    ({"numbers": {"nights": "7"}}, Sample("web", attributes={"nights": 7}), True),  # bare number: equality
    ({"channel": "email", "keywords": ["refund"]}, Sample("sms", body="refund"), False),  # all must hold
    # comparisons and lists written straight under attributes (what a site event carries)
    ({"attributes": {"amount": ">= 2000"}}, Sample("site", attributes={"amount": 2000}), True),
    ({"attributes": {"amount": ">= 2000"}}, Sample("site", attributes={"amount": "1999.5"}), False),
    ({"attributes": {"amount": ">= 2000"}}, Sample("site", attributes={"amount": "beaucoup"}), False),
    ({"attributes": {"amount": ">= 2000"}}, Sample("site", attributes={}), False),
    ({"attributes": {"amount": "!= 0"}}, Sample("site", attributes={"amount": None}), False),
    ({"attributes": {"destination": ["asie", "amerique-du-sud"]}},
     Sample("site", attributes={"destination": "Asie"}), True),
    ({"attributes": {"destination": ["asie", "amerique-du-sud"]}},
     Sample("site", attributes={"destination": "europe"}), False),
    ({"attributes": {"amount": ">= 2000", "destination": ["asie"]}},
     Sample("site", attributes={"amount": 5000, "destination": "europe"}), False),
])
def test_conditions(match, sample, matches):
    reason = why_not(rule(**match), sample)
    assert (reason is None) == matches, reason


def test_reasons_name_the_failing_condition():
    assert "channel is sms" in why_not(rule(channel="email"), Sample("sms"))
    assert "amount is missing" in why_not(rule(numbers={"amount": ">1"}), Sample("web"))
    assert "fails >= 1000" in why_not(rule(numbers={"amount": ">= 1000"}), Sample("web", attributes={"amount": 3}))


def test_first_matching_rule_wins_and_default_is_first_queue():
    rules = [RoutingRule.model_validate(r) for r in (
        {"name": "a", "queue": "claims", "match": {"channel": "sms"}, "priority": 7, "skills": ["x"]},
        {"name": "b", "queue": "general", "match": {"channel": "sms"}},
    )]
    chosen = route(rules, QUEUES, Sample("sms"))
    assert (chosen.rule, chosen.queue, chosen.priority, chosen.skills) == ("a", "claims", 7, ["x"])
    fallback = route(rules, QUEUES, Sample("email"))
    assert (fallback.rule, fallback.queue, fallback.priority) == (None, "general", None)


def test_as_number():
    assert as_number("1\u00a0000") == 1000 and as_number(True) is None and as_number(None) is None


def test_create_item_routes_with_rule_priority_and_skills(make_item, fetch):
    big = fetch(make_item(subject="Remboursement", attributes={"amount": 1500}))
    assert (big.queue, big.priority, big.routed_by) == ("claims", 30, "big-refunds")
    assert big.skills == ["claims", "senior"]
    small = fetch(make_item(subject="Remboursement", attributes={"amount": 50}))
    assert (small.queue, small.priority, small.routed_by, small.skills) == ("claims", 5, "refunds", ["claims"])
    partner = fetch(make_item(channel="web", subject="Hello", attributes={"referral_code": "PARTNER42"}))
    assert (partner.queue, partner.skills) == ("partners", [])
    plain = fetch(make_item(subject="Bonjour"))
    assert (plain.queue, plain.priority, plain.routed_by) == ("bookings", 10, None)


def test_customer_attributes_route(app, make_item, fetch):
    with app.session() as session:
        tenant = app.tenant(session, "travel")
        gold = add_customer(session, tenant, "Ada", emails=["ada@example.org"], attributes={"segment": "gold"})
        session.commit()
        gold_id = gold.id
    assert fetch(make_item(subject="Remboursement", customer_id=gold_id)).queue == "vip"


def test_explicit_queue_priority_and_skills_win(make_item, fetch):
    item = fetch(make_item(subject="Remboursement", queue="bookings"))
    assert (item.queue, item.routed_by, item.priority) == ("bookings", None, 10)
    item = fetch(make_item(subject="Remboursement", attributes={"amount": 5000}, priority=-3, skills=["Fr", "fr"]))
    assert (item.queue, item.priority, item.skills) == ("claims", -3, ["fr"])


def test_creation_is_in_history_with_the_rule(app, make_item):
    from sqlalchemy import select

    from ccctl.db.models import Interaction

    item_id = make_item(subject="refund please", attributes={"amount": 2000})
    with app.session() as session:
        steps = session.scalars(select(Interaction).where(Interaction.item_id == item_id)).all()
    assert [(s.channel, s.direction, s.payload["step"], s.payload["rule"]) for s in steps] == [
        ("queue", "internal", "created", "big-refunds")]


def test_unknown_queue_is_refused(make_item):
    from ccctl.errors import CcctlError

    with pytest.raises(CcctlError, match="no queue 'nope'.*bookings"):
        make_item(queue="nope")


@pytest.mark.parametrize("routing, message", [
    ("  - {name: r1, queue: nowhere}", "routing[0] (rule 'r1'): no queue 'nowhere'"),
    ("  - {name: r1, queue: general, match: {numbers: {amount: 'about 3'}}}", "not a comparison"),
    ("  - {name: r1, queue: general, match: {colour: red}}", "unknown key"),
    ("  - {name: r1, queue: general, match: {attributes: {amount: '>= lots'}}}", "attributes.amount"),
    ("  - {name: r1, queue: general}\n  - {name: r1, queue: general}", "rule names must be unique"),
    ("  - {queue: general}", "required key is missing"),
])
def test_bad_rules_are_refused_with_file_and_key(ccctl, tmp_path, routing, message):
    path = tmp_path / "bad.yaml"
    path.write_text(f"tenant: bad\nname: Bad\nqueues:\n  - name: general\nrouting:\n{routing}\n")
    result = ccctl("tenant", "apply", "-f", str(path), code=2)
    assert "bad.yaml" in result.stderr and "routing" in result.stderr and message in result.stderr


def test_bad_escalation_target_is_refused(ccctl, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("tenant: bad\nname: Bad\nqueues:\n  - name: general\n    escalation: {move_to: nowhere}\n")
    result = ccctl("tenant", "apply", "-f", str(path), code=2)
    assert "move_to 'nowhere' must be another queue" in result.stderr


def test_route_test_with_options(ccctl, tenants):
    out = ccctl.json("route", "test", "-t", "travel", "--subject", "Refund", "--attr", "amount=1500")
    assert (out["rule"], out["queue"], out["priority"], out["skills"]) == ("big-refunds", "claims", 30,
                                                                           ["claims", "senior"])
    assert [r["chosen"] for r in out["rules"]] == [False, True, False, False]
    assert out["rules"][0]["why_not"] == "customer segment is missing"
    assert out["rules"][2]["matches"] is True  # would match, but comes after


def test_route_test_with_json_on_stdin(ccctl, tenants):
    sample = {"channel": "web", "attributes": {"referral_code": "acme"}, "customer": {"segment": "silver"}}
    out = ccctl.json("route", "test", "-t", "travel", "--json", "-", input=json.dumps(sample))
    assert (out["rule"], out["queue"]) == ("partner-codes", "partners")
    out = ccctl.json("route", "test", "-t", "travel", "--json", "-", "--customer-attr", "segment=gold",
                     input=json.dumps(sample))
    assert out["rule"] == "vip-customers"


def test_route_test_no_rule(ccctl, tenants):
    out = ccctl.json("route", "test", "-t", "other", "--subject", "x")
    assert (out["rule"], out["queue"], out["rules"]) == ("(none: first queue)", "general", [])


@pytest.mark.parametrize("args, stdin, message", [
    (["--attr", "amount"], None, "must look like key=value"),
    (["--json", "-"], "{not json", "not JSON"),
    (["--json", "-"], "[1, 2]", "give one JSON object"),
    (["--json", "-"], '{"colour": "red"}', "unknown key(s) colour"),
    (["--customer", "999"], None, "no customer 999"),
])
def test_route_test_bad_input(ccctl, tenants, args, stdin, message):
    result = ccctl("route", "test", "-t", "travel", *args, input=stdin, code=1 if "customer" in message else 2)
    assert message in result.stderr


# --- the condition parser, property-based ---------------------------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ccctl.queue.config import is_comparison, parse_comparison  # noqa: E402
from ccctl.queue.routing import OPS  # noqa: E402

_numbers = st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@given(op=st.sampled_from([">=", "<=", ">", "<", "==", "!=", "="]), bound=_numbers,
       left=st.sampled_from(["", " ", "  "]), right=st.sampled_from(["", " "]), value=_numbers)
def test_comparisons_parse_and_decide_like_python(op, bound, left, right, value):
    text = f"{left}{op}{right}{bound}"
    assert is_comparison(text)
    parsed_op, parsed_bound = parse_comparison(text)
    assert parsed_op == ("==" if op == "=" else op) and parsed_bound == float(bound)
    reason = why_not(rule(attributes={"amount": text}), Sample("site", attributes={"amount": str(value)}))
    assert (reason is None) == OPS[parsed_op](float(value), float(bound)), reason


@given(st.text(max_size=30))
def test_any_text_is_a_comparison_or_a_clear_refusal(text):
    try:
        op, bound = parse_comparison(text)
    except ValueError as exc:
        assert "is not a comparison" in str(exc)
    else:
        assert op in OPS and isinstance(bound, float)


@given(st.sampled_from(["<", ">", "=", "!", ">=", " <= "]), st.text(max_size=20))
def test_a_bad_comparison_in_attributes_is_refused_at_load(op, tail):
    text = op + tail
    try:
        parse_comparison(text)
    except ValueError:
        with pytest.raises(ValueError, match="attributes.amount"):
            rule(attributes={"amount": text})
    else:
        assert rule(attributes={"amount": text}).match.attributes == {"amount": text}
