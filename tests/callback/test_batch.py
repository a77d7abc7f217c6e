"""JSONL batches: every good line stored once (re-runs create nothing), bad lines reported with file:line."""

from __future__ import annotations

import json

from callback_helpers import tomorrow


def lines(*records):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def test_batch_from_stdin_stores_good_lines_and_reports_bad_ones(cb):
    good = [
        {"phone": "0612345601", "name": "Ana", "reason": "Devis", "slot": tomorrow(10, 0), "ref": "AMI1",
         "context": {"page": "https://voyages.example/lisbonne"}},
        {"phone": "0612345602", "now": True},
        {"phone": "0612345603", "slot": tomorrow(10, 0), "key": "crm-77"},
    ]
    bad = [{"phone": "12", "now": True}, {"phone": "0612345604"}, {"phone": "0612345605", "slot": tomorrow(10, 0)}]
    text = lines(*good, *bad) + "\n"
    first = cb("callback", "request", "-t", "rappel", "--batch", "-", "--format", "json", input=text, code=1)
    rows = json.loads(first.stdout)
    assert [r["status"] for r in rows] == ["created"] * 3 + ["error"] * 3
    assert rows[3]["error"].startswith("<stdin>:4: ") and "valid phone number" in rows[3]["error"]
    assert "exactly one of 'slot' or 'now'" in rows[4]["error"]
    assert "is full" in rows[5]["error"]  # capacity 2, both seats taken by lines 1 and 3
    assert "3 of 6 request(s) failed" in first.stderr
    again = json.loads(cb("callback", "request", "-t", "rappel", "--batch", "-", "--format", "json",
                          input=lines(*good), ).stdout)
    assert [r["status"] for r in again] == ["existing"] * 3
    assert [r["request"] for r in again] == [r["request"] for r in rows[:3]]
    listed = cb.json("callback", "list", "-t", "rappel")
    assert len(listed) == 3
    ana = next(r for r in listed if r["name"] == "Ana")
    assert ana["source"] == "batch"
    pop = cb.json("callback", "show", str(ana["item"]), "-t", "rappel")
    assert pop["referral_code"] == "AMI1" and pop["context"] == {"page": "https://voyages.example/lisbonne"}


def test_batch_file_that_is_not_jsonl_is_refused_whole(cb, tmp_path):
    path = tmp_path / "requests.jsonl"
    path.write_text(lines({"phone": "0612345601", "now": True}) + "{phone: oops}\n", encoding="utf-8")
    refused = cb("callback", "request", "-t", "rappel", "--batch", str(path), code=2)
    assert f"{path}:2: invalid JSON" in refused.stderr
    path.write_text(lines({"phone": "0612345601", "now": True, "colour": "blue"}), encoding="utf-8")
    assert "unknown key 'colour'" in cb("callback", "request", "-t", "rappel", "--batch", str(path), code=2).stderr
    assert cb.json("callback", "list", "-t", "rappel") == []
    mixed = cb("callback", "request", "-t", "rappel", "--batch", str(path), "--phone", "0612345678", code=2)
    assert "drop --phone" in mixed.stderr
