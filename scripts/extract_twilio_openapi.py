"""Extract the Queues, Queue Members and Recording parts of Twilio's OpenAPI description into tests/.

The tests check the Twilio-compatible test server, and what ccctl sends it, against this
subset, so they do not depend on the shared folder. Run it again when the description changes:

    python scripts/extract_twilio_openapi.py /work/shared/twilio/twilio_api_v2010.json
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "support" / "twilio_openapi"
PATHS = ("/Queues.json", "/Queues/{Sid}.json", "/Queues/{QueueSid}/Members.json",
         "/Queues/{QueueSid}/Members/{CallSid}.json", "/Recordings/{Sid}.json")


def refs(node, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value.rsplit("/", 1)[1])
            else:
                refs(value, found)
    elif isinstance(node, list):
        for value in node:
            refs(value, found)
    return found


def main(source: str) -> None:
    spec = json.loads(Path(source).read_text())
    prefix = "/2010-04-01/Accounts/{AccountSid}"
    paths = {prefix + p: spec["paths"][prefix + p] for p in PATHS}
    wanted, schemas = refs(paths, set()), {}
    while wanted:  # schemas refer to schemas
        name = wanted.pop()
        if name not in schemas:
            schemas[name] = spec["components"]["schemas"][name]
            wanted |= refs(schemas[name], set()) - set(schemas)
    subset = {"openapi": spec["openapi"], "info": spec["info"], "paths": paths,
              "components": {"schemas": dict(sorted(schemas.items()))}}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "queues_v2010.json").write_text(json.dumps(subset, indent=1, sort_keys=True) + "\n")
    shutil.copy(Path(source).parent / "LICENSE", OUT / "LICENSE")
    print(f"{len(paths)} paths, {len(schemas)} schemas -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/twilio/twilio_api_v2010.json")
