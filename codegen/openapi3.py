"""OpenAPI v3 (``/openapi/v3``) documents as one OpenAPI v2 shaped spec.

The API server publishes v3 as a discovery document (``/openapi/v3``: each group-version's
path with a ``serverRelativeURL``) and one document per group-version. Their schemas carry
the same names and Kubernetes extensions as v2's ``definitions``; what differs is where
things live, which this module moves: ``#/components/schemas/`` references become
``#/definitions/``, a parameter's ``schema`` is folded into it, a ``requestBody`` becomes the
``body`` parameter (its content types the ``consumes`` list) and a response's
``content`` its ``schema``. v3's zero-value ``default``\\ s are dropped (the parser ignores
defaults); ``nullable`` is kept (a required, nullable field is ``X | None``). The result goes
through the same parser as a v2 spec, so both give the same modules and classes.
"""

from __future__ import annotations

from typing import Any

__all__ = ["merge_v3"]

_V3_REF = "#/components/schemas/"


def _schema(value: Any) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str) and item.startswith(_V3_REF):
                out[key] = "#/definitions/" + item[len(_V3_REF) :]
            elif key == "default":
                continue  # a keyword: v3's zero-value defaults
            elif key == "properties" and isinstance(item, dict):  # names, not keywords
                out[key] = {name: _schema(prop) for name, prop in item.items()}
            else:
                out[key] = _schema(item)
        return out
    if isinstance(value, list):
        return [_schema(item) for item in value]
    return value


def _parameter(param: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in param.items() if k != "schema"}
    schema = param.get("schema")
    if isinstance(schema, dict):
        out.update(_schema(schema))
    return out


def _operation(op: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in op.items() if k not in ("parameters", "requestBody", "responses")}
    out["parameters"] = [_parameter(p) for p in op.get("parameters", ()) if isinstance(p, dict)]
    body = op.get("requestBody")
    if isinstance(body, dict) and isinstance(body.get("content"), dict) and body["content"]:
        content = body["content"]
        out["consumes"] = list(content)
        first = content.get("application/json") or next(iter(content.values()))
        out["parameters"].append(
            {"in": "body", "name": "body", "schema": _schema(first.get("schema", {}))}
        )
    responses: dict[str, Any] = {}
    for code, response in (op.get("responses") or {}).items():
        content = response.get("content") if isinstance(response, dict) else None
        if isinstance(content, dict) and content:
            chosen = content.get("application/json") or next(iter(content.values()))
            responses[code] = {"schema": _schema(chosen.get("schema", {}))}
        else:
            responses[code] = {}
    out["responses"] = responses
    return out


def merge_v3(documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One v2-shaped spec from v3 documents (group-version name -> document)."""
    definitions: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for _, doc in sorted(documents.items()):
        schemas = (doc.get("components") or {}).get("schemas") or {}
        for name, schema in schemas.items():
            definitions.setdefault(name, _schema(schema))
        for path, item in (doc.get("paths") or {}).items():
            if not isinstance(item, dict):
                continue
            converted: dict[str, Any] = {}
            for key, value in item.items():
                if key == "parameters" and isinstance(value, list):
                    converted[key] = [_parameter(p) for p in value if isinstance(p, dict)]
                elif isinstance(value, dict):
                    converted[key] = _operation(value)
            paths[path] = converted
    return {"swagger": "2.0", "definitions": definitions, "paths": paths}


def load_v3(source: str) -> dict[str, Any]:
    """Saved v3 documents: one file, or a folder of them (``*.json``, one per group-version)."""
    from pathlib import Path

    from .load import parse_spec_bytes

    path = Path(source)
    files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
    documents: dict[str, dict[str, Any]] = {}
    for file in files:
        try:
            data = file.read_bytes()
        except OSError as exc:
            from .errors import SpecError

            raise SpecError(str(file), "", f"cannot read: {exc.strerror}") from None
        documents[str(file)] = parse_spec_bytes(data, str(file))
    return merge_v3(documents)
