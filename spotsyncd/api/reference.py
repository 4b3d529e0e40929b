"""The web API reference page (``docs/reference/api.md``), written from the app's OpenAPI document.

The page is generated so that it cannot drift from the routes: ``tests/test_docs.py`` builds the
app, renders its document with ``render`` and fails when the page differs
(``SPOTSYNCD_UPDATE_DOCS=1`` rewrites it). Also usable on a running daemon's document::

    curl -s http://127.0.0.1:8642/api/v1/openapi.json | python -m spotsyncd.api.reference

Pure: a JSON document in, Markdown out; imports no web framework.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

_METHODS = ("get", "post", "put", "patch", "delete")
_REF = "#/components/schemas/"
_ERROR_BODY = "[ErrorBody](#errorbody) (`application/json`)"

_PREAMBLE = """\
# Web API reference

<!-- Generated from the app's OpenAPI document by spotsyncd/api/reference.py: do not edit.
     Regenerate: SPOTSYNCD_UPDATE_DOCS=1 .venv/bin/python -m pytest -q tests/test_docs.py -->

The daemon serves this API at `http://127.0.0.1:8642` by default (`web.listen`); the document it is
generated from is served at `/api/v1/openapi.json`. What the API is for, how to log in and how it
is protected are in the [web dashboard guide](../guides/web.md).

{description}

Every error is JSON, `{{"error": {{"code": "…", "message": "…"}}}}` ([ErrorBody](#errorbody)), with
the status code below. Outside this document the app also serves `GET /healthz` (the same answer
as `GET /api/v1/healthz`, for probes that expect it at the root) and the dashboard (`/`, its static
files and the one-time `/login` link).
"""


def _anchor(name: str) -> str:
    """The id MkDocs' table of contents gives a heading that is a bare schema name."""
    return name.lower()


def _type(schema: Mapping[str, Any]) -> str:
    """A schema as a short type: ``string``, ``list of [Track](#track)``, ``… or null``."""
    if "$ref" in schema:
        name = str(schema["$ref"]).removeprefix(_REF)
        return f"[{name}](#{_anchor(name)})"
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            return " or ".join(_type(part) for part in schema[combinator])
    if "enum" in schema:
        return " \\| ".join(f"`{value}`" for value in schema["enum"])
    kind = str(schema.get("type", "any"))
    if kind == "array":
        return f"list of {_type(schema.get('items', {}))}"
    if kind == "object" and "additionalProperties" in schema:
        extra = schema["additionalProperties"]
        return f"object of {_type(extra) if isinstance(extra, Mapping) else 'any'}"
    return kind


def _limits(schema: Mapping[str, Any]) -> str:
    parts = []
    for part in schema.get("anyOf", [schema]):
        for key, text in (
            ("minimum", "≥ {}"),
            ("maximum", "≤ {}"),
            ("minLength", "at least {} characters"),
            ("maxLength", "at most {} characters"),
            ("maxItems", "at most {} items"),
        ):
            if key in part:
                parts.append(text.format(part[key]))
    if "default" in schema and schema["default"] is not None:
        parts.append(f"default `{json.dumps(schema['default'])}`")
    return "; ".join(parts)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _parameters(parameters: Sequence[Mapping[str, Any]]) -> list[str]:
    if not parameters:
        return []
    lines = [
        "**Parameters**",
        "",
        "| name | in | type | required | description |",
        "|---|---|---|---|---|",
    ]
    for parameter in parameters:
        schema = parameter.get("schema", {})
        about = [parameter.get("description") or schema.get("description") or "", _limits(schema)]
        required = "yes" if parameter.get("required") else "no"
        lines.append(
            f"| `{parameter['name']}` | {parameter['in']} | {_type(schema)} | {required} | "
            f"{_cell('; '.join(a for a in about if a))} |"
        )
    return [*lines, ""]


def _body(operation: Mapping[str, Any]) -> list[str]:
    body = operation.get("requestBody")
    if not body:
        return []
    kinds = [
        f"{_type(media.get('schema', {}))} (`{ctype}`)" for ctype, media in body["content"].items()
    ]
    needed = "required" if body.get("required") else "optional"
    return [f"**Request body** ({needed}): {', '.join(kinds)}", ""]


def _content(response: Mapping[str, Any]) -> str:
    kinds = []
    for ctype, media in response.get("content", {}).items():
        schema = media.get("schema")
        kinds.append(f"{_type(schema)} (`{ctype}`)" if schema else f"`{ctype}`")
    return ", ".join(kinds)


def _responses(responses: Mapping[str, Mapping[str, Any]]) -> list[str]:
    lines = ["**Responses**", "", "| status | meaning | body |", "|---|---|---|"]
    errors = []
    for code in sorted(responses):
        response = responses[code]
        if code[:1] in ("4", "5") and _content(response) == _ERROR_BODY:
            errors.append(f"`{code}` {_cell(response.get('description', ''))}")
            continue
        lines.append(
            f"| `{code}` | {_cell(response.get('description', ''))} | {_content(response)} |"
        )
    if errors:
        lines.append(f"| errors | {' · '.join(errors)} | [ErrorBody](#errorbody) |")
    return [*lines, ""]


def _operation(method: str, path: str, operation: Mapping[str, Any]) -> list[str]:
    lines = [f"## {method.upper()} {path}", ""]
    summary = operation.get("summary")
    if summary:
        lines += [f"*{summary}*", ""]
    if operation.get("description"):
        lines += [" ".join(operation["description"].split()), ""]
    needs_token = "401" in operation.get("responses", {})
    lines += ["Needs the token or a session." if needs_token else "No token needed.", ""]
    lines += _parameters(operation.get("parameters", []))
    lines += _body(operation)
    lines += _responses(operation.get("responses", {}))
    return lines


def _schema(name: str, schema: Mapping[str, Any]) -> list[str]:
    lines = [f"### {name}", ""]
    if schema.get("description"):
        lines += [" ".join(str(schema["description"]).split()), ""]
    properties: Mapping[str, Mapping[str, Any]] = schema.get("properties", {})
    if not properties:
        return [*lines, f"{_type(schema)}", ""]
    required = set(schema.get("required", []))
    lines += ["| field | type | required | description |", "|---|---|---|---|"]
    for field, spec in properties.items():
        about = [spec.get("description", ""), _limits(spec)]
        lines.append(
            f"| `{field}` | {_type(spec)} | {'yes' if field in required else 'no'} | "
            f"{_cell('; '.join(a for a in about if a))} |"
        )
    return [*lines, ""]


def render(document: Mapping[str, Any]) -> str:
    """``docs/reference/api.md`` for this OpenAPI document: one section per operation (method,
    path, summary, parameters, body, responses), then the schemas they name."""
    info = document.get("info", {})
    lines = [_PREAMBLE.format(description=" ".join(str(info.get("description", "")).split()))]
    for path, operations in document.get("paths", {}).items():
        for method in _METHODS:
            if method in operations:
                lines += _operation(method, path, operations[method])
    schemas: Mapping[str, Mapping[str, Any]] = document.get("components", {}).get("schemas", {})
    if schemas:
        lines += ["## Schemas", ""]
        for name in sorted(schemas):
            lines += _schema(name, schemas[name])
    return "\n".join(lines).rstrip("\n") + "\n"


def main() -> None:
    sys.stdout.write(render(json.load(sys.stdin)))


if __name__ == "__main__":
    main()
