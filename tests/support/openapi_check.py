"""Check requests to, and answers of, the Twilio-compatible test server against Twilio's OpenAPI subset.

Only the paths in ``twilio_openapi/queues_v2010.json`` are known; ``problems()`` lists what
does not match (unknown path or method, unknown or missing form field, bad path parameter,
an answer that breaks the declared schema).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

SPEC = Path(__file__).resolve().parent / "twilio_openapi" / "queues_v2010.json"


@lru_cache(maxsize=1)
def _spec() -> dict[str, Any]:
    return json.loads(SPEC.read_text())


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema → JSON Schema: ``nullable`` becomes a null type; refs point at ``$defs``."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k not in ("nullable", "format", "example", "examples")}
    if "$ref" in out:
        out["$ref"] = "#/$defs/" + out["$ref"].rsplit("/", 1)[1]
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def _operation(method: str, path: str):
    for template, item in _spec()["paths"].items():
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        match = re.match(pattern, path)
        if match and method.lower() in item:
            return template, item[method.lower()], match.groupdict()
    return None, None, {}


def check_request(method: str, path: str, params: dict[str, Any]) -> list[str]:
    """Problems with one request (path parameters, form fields for POST, query for GET)."""
    template, operation, path_params = _operation(method, path)
    if operation is None:
        return [f"{method} {path}: not in Twilio's description"]
    problems = []
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        value = path_params.get(parameter["name"]) if parameter["in"] == "path" else None
        if value is not None and "pattern" in schema and not re.match(schema["pattern"], value):
            problems.append(f"{method} {template}: {parameter['name']}={value!r} breaks {schema['pattern']}")
    if method == "POST":
        body = operation.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded", {})
        schema = body.get("schema", {"properties": {}})
        for name in params:
            if name not in schema.get("properties", {}):
                problems.append(f"{method} {template}: unknown field {name}")
        for name in schema.get("required", []):
            if name not in params:
                problems.append(f"{method} {template}: missing required field {name}")
        for name, value in params.items():
            allowed = schema.get("properties", {}).get(name, {}).get("enum")
            if allowed and value not in allowed:
                problems.append(f"{method} {template}: {name}={value!r} not one of {allowed}")
    else:
        known = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        problems += [f"{method} {template}: unknown query parameter {n}" for n in params if n not in known]
    return problems


def check_response(method: str, path: str, status: int, body: Any) -> list[str]:
    """Problems with a success answer (errors are Twilio's {code, message, more_info, status})."""
    import jsonschema

    template, operation, _ = _operation(method, path)
    if operation is None or status >= 400:
        return []
    declared = operation["responses"].get(str(status))
    if declared is None:
        return [f"{method} {template}: status {status} not declared ({', '.join(operation['responses'])})"]
    schema = _json_schema(declared.get("content", {}).get("application/json", {}).get("schema", {}))
    schema["$defs"] = {k: _json_schema(v) for k, v in _spec()["components"]["schemas"].items()}
    schema = _closed(schema)
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{method} {template}: {error.message}" for error in validator.iter_errors(body)]


def _closed(schema: Any) -> Any:
    """No property beyond the declared ones (a test double must not invent fields)."""
    if isinstance(schema, dict):
        out = {k: _closed(v) for k, v in schema.items()}
        if "properties" in out:
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(schema, list):
        return [_closed(s) for s in schema]
    return schema
