#!/usr/bin/env python3
"""Extract the part of Twilio's OpenAPI description (API 2010) that ccctl's tests check against.

    python scripts/extract-twilio-openapi.py /work/shared/twilio/twilio_api_v2010.json

writes ``ccctl/testing/twilio_openapi/twilio_api_v2010_subset.json`` (the Messages, Calls, Queues,
Queue Members and Recording paths, and every component they reference) and copies the MIT ``LICENSE`` found
beside the source file. Descriptions and examples are dropped (the shapes are what is checked);
re-run it when the source is updated and commit both files.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "ccctl" / "testing" / "twilio_openapi"  # package data: ccctl.testing.twilio_contract
PREFIX = "/2010-04-01/Accounts/{AccountSid}/"
PATHS = [
    "Messages.json", "Messages/{Sid}.json",
    "Calls.json", "Calls/{Sid}.json",
    "Queues.json", "Queues/{Sid}.json",
    "Queues/{QueueSid}/Members.json", "Queues/{QueueSid}/Members/{CallSid}.json",
    "Recordings/{Sid}.json",
]
DROPPED = {"description", "examples", "example", "summary", "x-twilio", "servers", "tags"}


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in DROPPED}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def refs(node, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            found.add(ref)
        for value in node.values():
            refs(value, found)
    elif isinstance(node, list):
        for value in node:
            refs(value, found)


def extract(source: dict) -> dict:
    missing = [p for p in PATHS if PREFIX + p not in source["paths"]]
    if missing:
        raise SystemExit(f"not in the source description: {', '.join(missing)}")
    paths = {PREFIX + p: strip(source["paths"][PREFIX + p]) for p in PATHS}
    components: dict[str, dict] = {}
    todo: set[str] = set()
    refs(paths, todo)
    done: set[str] = set()
    while todo:
        ref = todo.pop()
        done.add(ref)
        _, _, kind, name = ref.split("/", 3)
        node = strip(source["components"][kind][name])
        components.setdefault(kind, {})[name] = node
        found: set[str] = set()
        refs(node, found)
        todo |= found - done
    security = {k: v for k, v in source["components"].get("securitySchemes", {}).items()}
    if security:
        components["securitySchemes"] = security
    return {"openapi": source["openapi"], "info": {"title": source["info"]["title"], "version": source["info"]["version"],
            "license": source["info"].get("license", {"name": "MIT"}),
            "x-ccctl-source": "twilio/twilio-oai spec/json/twilio_api_v2010.json, subset by scripts/extract-twilio-openapi.py"},
            "paths": paths, "components": {k: dict(sorted(v.items())) for k, v in sorted(components.items())},
            "security": source.get("security", [])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="twilio_api_v2010.json (its LICENSE must sit beside it)")
    args = parser.parse_args(argv)
    licence = args.source.parent / "LICENSE"
    if not licence.exists():
        print(f"error: {licence} not found: the subset must ship with Twilio's licence", file=sys.stderr)
        return 2
    subset = extract(json.loads(args.source.read_text(encoding="utf-8")))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "twilio_api_v2010_subset.json").write_text(json.dumps(subset, indent=1, sort_keys=False) + "\n",
                                                      encoding="utf-8")
    shutil.copyfile(licence, OUT / "LICENSE")
    print(f"{len(subset['paths'])} paths, {sum(map(len, subset['components'].values()))} components "
          f"-> {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
