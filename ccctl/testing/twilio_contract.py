"""Check requests to, and answers from, the Twilio-compatible test server against Twilio's own
OpenAPI description (the subset in ``ccctl/testing/twilio_openapi/``, shipped as package data
with its MIT licence, made by ``scripts/extract-twilio-openapi.py``), with ``openapi-schema-validator``
and ``jsonschema`` (both in ccctl's ``test`` extra: ``pip install ccctl[test]``).

Strict on purpose: a request parameter or an answer field the description does not declare is
an error (a fake that invents fields hides bugs), form values are coerced to the declared types
first (a form has only strings), and formats Twilio uses (RFC 2822 dates, E.164 numbers, HTTP
methods) are checked. Error answers, which the description leaves out, are checked against the
two shapes Twilio documents: the legacy ``{code, message, more_info, status}`` and RFC 9457
problem details ``{type, title, status, code, ...}``.
"""

from __future__ import annotations

import copy
import json
import re
from email.utils import parsedate_to_datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator, oas30_format_checker

SPEC = Path(__file__).resolve().parent / "twilio_openapi" / "twilio_api_v2010_subset.json"
LEGACY_ERROR = {"type": "object", "additionalProperties": False, "required": ["code", "message", "more_info", "status"],
                "properties": {"code": {"type": "integer"}, "message": {"type": "string"},
                               "more_info": {"type": "string", "format": "uri"}, "status": {"type": "integer"}}}
PROBLEM_DETAILS = {"type": "object", "additionalProperties": False, "required": ["type", "title", "status", "code"],
                   "properties": {"type": {"type": "string", "format": "uri"}, "title": {"type": "string"},
                                  "status": {"type": "integer"}, "code": {"type": "integer"},
                                  "detail": {"type": "string"}, "instance": {"type": "string"},
                                  "errors": {"type": "array"}}}

checker = FormatChecker(formats=())
for name in oas30_format_checker.checkers:
    checker.checkers[name] = oas30_format_checker.checkers[name]


@checker.checks("date-time-rfc-2822")
def _rfc2822(value) -> bool:
    if not isinstance(value, str):
        return True
    try:
        return parsedate_to_datetime(value) is not None
    except (TypeError, ValueError):
        return False


@checker.checks("phone-number")
def _phone(value) -> bool:
    return not isinstance(value, str) or bool(re.fullmatch(r"\+[1-9]\d{6,14}|client:\w+|sip:.+", value))


@checker.checks("http-method")
def _method(value) -> bool:
    return not isinstance(value, str) or value.upper() in ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH")


@checker.checks("uri")
def _uri(value) -> bool:
    # Twilio's own list answers carry relative page URIs although they are declared ``uri``.
    return not isinstance(value, str) or bool(re.match(r"^(https?://[^\s/]+)?/\S*$", value))


@lru_cache(maxsize=1)
def spec() -> dict:
    return json.loads(SPEC.read_text(encoding="utf-8"))


def _resolve(node: Any, depth: int = 0) -> Any:
    """Inline ``$ref``s and make every object schema closed (no undeclared fields)."""
    if depth > 30:
        raise ValueError("schema nests too deep (a recursive $ref?)")
    if isinstance(node, list):
        return [_resolve(v, depth + 1) for v in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        _, _, kind, name = node["$ref"].split("/", 3)
        return _resolve(copy.deepcopy(spec()["components"][kind][name]), depth + 1)
    out = {k: _resolve(v, depth + 1) for k, v in node.items()}
    if out.get("type") == "object" and "properties" in out:
        out.setdefault("additionalProperties", False)
    return out


def _match(method: str, path: str) -> tuple[str, dict, dict[str, str]] | None:
    for template, item in spec()["paths"].items():
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        found = re.match(pattern, path)
        if found and method.lower() in item:
            return template, item[method.lower()], found.groupdict()
    return None


def operation(method: str, path: str) -> tuple[str, dict] | None:
    """(template, operation) of the described path that ``path`` matches, or None."""
    found = _match(method, path)
    return found[:2] if found else None


def _coerce(value: Any, schema: dict) -> Any:
    """A form value (always text) in the type the schema declares."""
    kind = schema.get("type")
    if kind == "array":
        values = value if isinstance(value, list) else [value]
        return [_coerce(v, schema.get("items", {})) for v in values]
    if isinstance(value, list):
        return value  # repeated although not an array: the validator says so
    if kind == "integer" and re.fullmatch(r"-?\d+", str(value)):
        return int(value)
    if kind == "number":
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "boolean" and str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    return value


def _errors(instance: Any, schema: dict, where: str = "(body)") -> list[str]:
    validator = OAS30Validator(schema, format_checker=checker)
    return [f"{'/'.join(map(str, e.absolute_path)) or where}: {e.message}" for e in validator.iter_errors(instance)]


def check_request(method: str, path: str, params: dict[str, Any]) -> list[str]:
    """Problems with one request (path, form body or query) by the description; [] when it conforms."""
    found = _match(method, path)
    if found is None:
        return [f"{method} {path}: no such operation in Twilio's description"]
    template, op, in_path = found
    problems = []
    for parameter in op.get("parameters", []):  # a SID of the wrong kind or length is Twilio's 404
        if parameter.get("in") == "path" and parameter["name"] in in_path:
            problems += [f"{method} {template}: {e}" for e in _errors(in_path[parameter["name"]],
                                                                    _resolve(parameter.get("schema", {})),
                                                                    where=parameter["name"])]
    if method.upper() == "POST":
        body = op.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded")
        schema = _resolve(body["schema"]) if body else {"type": "object", "properties": {},
                                                         "additionalProperties": False}
        props = schema.get("properties", {})
        form = {k: _coerce(v, props.get(k, {})) for k, v in params.items()}
        return problems + [f"{method} {template}: {e}" for e in _errors(form, schema)]
    declared = {p["name"]: _resolve(p.get("schema", {})) for p in op.get("parameters", []) if p.get("in") == "query"}
    for name, value in params.items():
        if name not in declared:
            problems.append(f"{method} {template}: query parameter {name!r} is not described")
            continue
        problems += [f"{method} {template}: {e}" for e in _errors(_coerce(value, declared[name]), declared[name], name)]
    return problems


def check_response(method: str, path: str, status: int, body: Any) -> list[str]:
    """Problems with one answer; error answers must be one of Twilio's two error shapes."""
    if status >= 400:
        shape = PROBLEM_DETAILS if isinstance(body, dict) and "title" in body else LEGACY_ERROR
        problems = _errors(body, shape)
        if isinstance(body, dict) and body.get("status") != status:
            problems.append(f"the body's status {body.get('status')} is not the HTTP status {status}")
        return [f"{method} {path} -> {status}: {e}" for e in problems]
    found = operation(method, path)
    if found is None:
        return [f"{method} {path}: no such operation in Twilio's description"]
    template, op = found
    answer = op.get("responses", {}).get(str(status))
    if answer is None:
        return [f"{method} {template}: status {status} is not a described answer ({', '.join(op['responses'])})"]
    if "content" not in answer:  # e.g. a DELETE's 204: nothing to say
        return [f"{method} {template} -> {status}: an answer with a body, described without one"] if body else []
    schema = _resolve(answer["content"]["application/json"]["schema"])
    return [f"{method} {template} -> {status}: {e}" for e in _errors(body, schema)]


def enum(name: str) -> list[str]:
    """A described enumeration, e.g. ``message_enum_status``."""
    return list(spec()["components"]["schemas"][name]["enum"])


def check_server_log(server) -> list[str]:
    """Every request the test server logged, and every answer it gave, checked."""
    problems = []
    for request in list(server.requests):
        if request.account is None or request.status == 401 and request.body is None:
            continue
        problems += check_request(request.method, request.path, request.params)
        if request.body is not None:
            problems += check_response(request.method, request.path, request.status, request.body)
    return problems
