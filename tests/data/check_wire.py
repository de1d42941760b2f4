#!/usr/bin/env python3
"""Check the wire-format JSON fixtures in tests/data/wire/ against the
Kubernetes OpenAPI v2 spec.

Standalone: uses only the standard library (PyYAML is accepted for ``.yaml``
fixtures if present, but is not required for ``.json`` ones).

For every fixture the top-level definition is found through
``x-kubernetes-group-version-kind`` (``meta_v1_Status.json`` and any object
with ``kind: Status`` map to ``io.k8s.apimachinery.pkg.apis.meta.v1.Status``),
then the object is walked recursively against the schema, following ``$ref``.
Reported problems (as JSON pointers):

* property names not declared in the schema's ``properties`` (unless the
  schema is a map via ``additionalProperties`` or is free-form: RawExtension,
  FieldsV1, apiextensions JSON);
* type mismatches (string/integer/number/boolean/array/object; format
  ``int-or-string`` accepts int or string; Quantity must be a string);
* integers out of range for ``int32``/``int64``;
* missing ``required`` properties;
* invalid base64 (standard alphabet, padded) for ``format: byte``;
* invalid date-time values: ``meta/v1.Time`` must be RFC 3339 whole seconds
  in UTC (``2024-05-01T10:00:00Z``), ``meta/v1.MicroTime`` must carry exactly
  six fractional digits (``2024-05-01T10:00:00.123456Z``);
* ``null`` anywhere except where the API server really emits it (a zero
  ``metav1.Time``/``MicroTime`` marshals as ``null``; apiextensions JSON may
  be ``null``);
* malformed FieldsV1 keys (must be ``.``, ``f:``, ``k:``, ``v:`` or ``i:``);
* malformed Quantity strings; apiVersion/kind of the top-level object and of
  list items (if present) not matching the definition's GVK.

The apiextensions "or" types (JSONSchemaPropsOrBool, JSONSchemaPropsOrArray,
JSONSchemaPropsOrStringArray) have no ``type`` in the spec; they are checked
structurally: a bool / array alternative is accepted, an object is walked as
JSONSchemaProps.

Usage: check_wire.py [--spec PATH] [FILE_OR_DIR ...]
Exit status is 0 when no problems are found, 1 otherwise.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime as _dt
import gzip
import json
import os
import re
import sys
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_WIRE_DIR = os.path.join(HERE, "wire")
DEFAULT_SPEC_CANDIDATES = [
    os.path.join(HERE, "..", "..", "codegen", "data", "kubernetes-v1.36.openapi-v2.json.gz"),
]

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
APIEXT = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1."
TIME = META + "Time"
MICROTIME = META + "MicroTime"
FIELDSV1 = META + "FieldsV1"
STATUS = META + "Status"
RAWEXT = "io.k8s.apimachinery.pkg.runtime.RawExtension"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
INTORSTR = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
JSONANY = APIEXT + "JSON"
JSP = APIEXT + "JSONSchemaProps"
JSP_OR_BOOL = APIEXT + "JSONSchemaPropsOrBool"
JSP_OR_ARRAY = APIEXT + "JSONSchemaPropsOrArray"
JSP_OR_STRARRAY = APIEXT + "JSONSchemaPropsOrStringArray"

# Definitions whose content is arbitrary JSON.
FREE_FORM = {RAWEXT, FIELDSV1, JSONANY}

TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
MICROTIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
RFC3339_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
QUANTITY_RE = re.compile(
    r"^[+-]?(\d+(\.\d*)?|\.\d+)"
    r"(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$"
)
INT_RANGES = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}


def escape_ptr(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def load_spec(path: str) -> dict[str, Any]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def load_fixture(path: str) -> Any:
    with open(path, encoding="utf-8") as fh:
        if path.endswith((".yaml", ".yml")):
            import yaml  # PyYAML, only needed for YAML fixtures

            return yaml.safe_load(fh)

        # Reject duplicate keys: they would silently vanish on a round trip.
        def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for k, v in pairs:
                if k in out:
                    raise ValueError("duplicate key %r" % k)
                out[k] = v
            return out

        return json.load(fh, object_pairs_hook=hook)


class Checker:
    def __init__(self, spec: dict[str, Any]):
        self.defs: dict[str, Any] = spec["definitions"]
        self.gvk: dict[tuple[str, str, str], list[str]] = {}
        for name, schema in self.defs.items():
            for g in schema.get("x-kubernetes-group-version-kind", []) or []:
                key = (g.get("group", ""), g.get("version", ""), g.get("kind", ""))
                self.gvk.setdefault(key, []).append(name)
        self.problems: list[str] = []

    # -- lookup -----------------------------------------------------------
    def definition_for(self, api_version: str, kind: str) -> str | None:
        if kind == "Status" and api_version == "v1":
            return STATUS
        if "/" in api_version:
            group, version = api_version.split("/", 1)
        else:
            group, version = "", api_version
        names = self.gvk.get((group, version, kind), [])
        if not names:
            return None
        # Prefer a definition whose short name equals the kind.
        for n in names:
            if n.rsplit(".", 1)[-1] == kind:
                return n
        return names[0]

    def resolve(self, schema: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        name = None
        seen = 0
        while "$ref" in schema:
            ref = schema["$ref"]
            if not ref.startswith("#/definitions/"):
                raise ValueError("unsupported $ref %s" % ref)
            name = ref[len("#/definitions/") :]
            schema = self.defs[name]
            seen += 1
            if seen > 50:
                raise ValueError("$ref loop at %s" % ref)
        return schema, name

    # -- reporting --------------------------------------------------------
    def report(self, fixture: str, ptr: str, msg: str) -> None:
        self.problems.append("%s#%s: %s" % (fixture, ptr or "", msg))

    # -- walking ----------------------------------------------------------
    def check_value(
        self,
        fixture: str,
        ptr: str,
        value: Any,
        schema: dict[str, Any],
        def_name: str | None = None,
    ) -> None:
        if "$ref" in schema:
            schema, def_name = self.resolve(schema)

        # Special definitions first.
        if def_name in (TIME, MICROTIME):
            if value is None:
                return  # zero metav1.Time / MicroTime marshals as null
            self.check_time(fixture, ptr, value, micro=(def_name == MICROTIME))
            return
        if def_name == JSONANY:
            return  # any JSON value, including null
        if def_name == FIELDSV1:
            if not isinstance(value, dict):
                self.report(fixture, ptr, "FieldsV1 must be an object, got %s" % json_type(value))
                return
            self.check_fieldsv1(fixture, ptr, value)
            return
        if def_name == RAWEXT:
            if not isinstance(value, dict):
                self.report(
                    fixture, ptr, "RawExtension must be an object, got %s" % json_type(value)
                )
            return
        if def_name == JSP_OR_BOOL:
            if isinstance(value, bool):
                return
            if isinstance(value, dict):
                self.check_value(fixture, ptr, value, {"$ref": "#/definitions/" + JSP})
                return
            self.report(
                fixture,
                ptr,
                "expected boolean or JSONSchemaProps object, got %s" % json_type(value),
            )
            return
        if def_name == JSP_OR_ARRAY:
            if isinstance(value, dict):
                self.check_value(fixture, ptr, value, {"$ref": "#/definitions/" + JSP})
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    self.check_value(
                        fixture, "%s/%d" % (ptr, i), item, {"$ref": "#/definitions/" + JSP}
                    )
                return
            self.report(
                fixture, ptr, "expected JSONSchemaProps object or array, got %s" % json_type(value)
            )
            return
        if def_name == JSP_OR_STRARRAY:
            if isinstance(value, dict):
                self.check_value(fixture, ptr, value, {"$ref": "#/definitions/" + JSP})
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if not isinstance(item, str):
                        self.report(
                            fixture, "%s/%d" % (ptr, i), "expected string, got %s" % json_type(item)
                        )
                return
            self.report(
                fixture,
                ptr,
                "expected JSONSchemaProps object or string array, got %s" % json_type(value),
            )
            return
        if def_name == QUANTITY:
            if not isinstance(value, str):
                self.report(
                    fixture, ptr, "Quantity must be a string on the wire, got %s" % json_type(value)
                )
            elif not QUANTITY_RE.match(value):
                self.report(fixture, ptr, "malformed Quantity %r" % value)
            return

        if value is None:
            self.report(
                fixture, ptr, "unexpected null (schema type %s)" % (schema.get("type") or def_name)
            )
            return

        stype = schema.get("type")
        fmt = schema.get("format")

        if fmt == "int-or-string" or def_name == INTORSTR:
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                self.report(
                    fixture,
                    ptr,
                    "int-or-string must be integer or string, got %s" % json_type(value),
                )
            elif isinstance(value, int):
                self.check_int_range(fixture, ptr, value, "int32")
            return

        if stype is None:
            # Untyped schema (should not happen outside the handled ones).
            if schema.get("properties") or schema.get("additionalProperties"):
                stype = "object"
            else:
                return

        actual = json_type(value)
        if stype == "number":
            ok = actual in ("integer", "number")
        else:
            ok = actual == stype
        if not ok:
            self.report(fixture, ptr, "type mismatch: expected %s, got %s" % (stype, actual))
            return

        if stype == "integer":
            if fmt in INT_RANGES:
                self.check_int_range(fixture, ptr, value, fmt)
        elif stype == "string":
            if fmt == "byte":
                self.check_base64(fixture, ptr, value)
            elif fmt == "date-time":
                self.check_time(fixture, ptr, value, micro=None)
        elif stype == "array":
            items = schema.get("items")
            if items is not None:
                for i, item in enumerate(value):
                    self.check_value(fixture, "%s/%d" % (ptr, i), item, items)
        elif stype == "object":
            self.check_object(fixture, ptr, value, schema, def_name)

    def check_object(
        self,
        fixture: str,
        ptr: str,
        value: dict[str, Any],
        schema: dict[str, Any],
        def_name: str | None,
    ) -> None:
        props = schema.get("properties")
        addl = schema.get("additionalProperties")
        for req in schema.get("required", []) or []:
            if req not in value:
                self.report(
                    fixture,
                    ptr,
                    "missing required property %r (%s)" % (req, def_name or "inline schema"),
                )
        if props is None and addl is None:
            return  # free-form object
        for key, sub in value.items():
            sub_ptr = "%s/%s" % (ptr, escape_ptr(key))
            if props is not None and key in props:
                self.check_value(fixture, sub_ptr, sub, props[key])
            elif isinstance(addl, dict):
                self.check_value(fixture, sub_ptr, sub, addl)
            elif addl is True:
                continue
            else:
                self.report(
                    fixture,
                    sub_ptr,
                    "unknown property %r (not in %s)" % (key, def_name or "inline schema"),
                )

    # -- leaf checks ------------------------------------------------------
    def check_int_range(self, fixture: str, ptr: str, value: int, fmt: str) -> None:
        lo, hi = INT_RANGES[fmt]
        if not lo <= value <= hi:
            self.report(fixture, ptr, "integer %d out of %s range" % (value, fmt))

    def check_base64(self, fixture: str, ptr: str, value: str) -> None:
        if len(value) % 4 != 0:
            self.report(
                fixture,
                ptr,
                "base64 length %d is not a multiple of 4 (missing padding?)" % len(value),
            )
            return
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            self.report(fixture, ptr, "invalid standard base64: %s" % exc)

    def check_time(self, fixture: str, ptr: str, value: Any, micro: bool | None) -> None:
        if not isinstance(value, str):
            self.report(fixture, ptr, "date-time must be a string, got %s" % json_type(value))
            return
        if micro is True:
            if not MICROTIME_RE.match(value):
                self.report(
                    fixture,
                    ptr,
                    "MicroTime %r must be RFC 3339 UTC with exactly six fractional digits" % value,
                )
                return
            parse_fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
        elif micro is False:
            if not TIME_RE.match(value):
                self.report(
                    fixture,
                    ptr,
                    "Time %r must be RFC 3339 UTC with whole seconds (YYYY-MM-DDTHH:MM:SSZ)"
                    % value,
                )
                return
            parse_fmt = "%Y-%m-%dT%H:%M:%SZ"
        else:
            if not RFC3339_RE.match(value):
                self.report(fixture, ptr, "invalid RFC 3339 date-time %r" % value)
            return
        try:
            _dt.datetime.strptime(value, parse_fmt)
        except ValueError as exc:
            self.report(fixture, ptr, "invalid date-time %r: %s" % (value, exc))

    def check_fieldsv1(self, fixture: str, ptr: str, value: dict[str, Any]) -> None:
        for key, sub in value.items():
            sub_ptr = "%s/%s" % (ptr, escape_ptr(key))
            if key == ".":
                if sub != {}:
                    self.report(fixture, sub_ptr, "FieldsV1 '.' must map to {}")
                continue
            prefix = key[:2]
            if prefix not in ("f:", "k:", "v:", "i:"):
                self.report(fixture, sub_ptr, "malformed FieldsV1 key %r" % key)
                continue
            if prefix in ("k:", "v:"):
                try:
                    parsed = json.loads(key[2:])
                except ValueError:
                    self.report(fixture, sub_ptr, "FieldsV1 key %r does not hold valid JSON" % key)
                    parsed = None
                if prefix == "k:" and parsed is not None and not isinstance(parsed, dict):
                    self.report(fixture, sub_ptr, "FieldsV1 k: key must hold a JSON object")
            if prefix == "i:" and not key[2:].isdigit():
                self.report(fixture, sub_ptr, "FieldsV1 i: key must hold an index")
            if not isinstance(sub, dict):
                self.report(
                    fixture, sub_ptr, "FieldsV1 entries must be objects, got %s" % json_type(sub)
                )
                continue
            self.check_fieldsv1(fixture, sub_ptr, sub)

    # -- top level --------------------------------------------------------
    def check_gvk(
        self, fixture: str, ptr: str, obj: dict[str, Any], def_name: str, required: bool
    ) -> None:
        api_version = obj.get("apiVersion")
        kind = obj.get("kind")
        if api_version is None and kind is None and not required:
            return
        if not isinstance(api_version, str) or not isinstance(kind, str):
            self.report(fixture, ptr, "apiVersion and kind must both be strings")
            return
        got = self.definition_for(api_version, kind)
        if got != def_name:
            self.report(
                fixture,
                ptr,
                "apiVersion/kind %s %s maps to %s, expected %s"
                % (api_version, kind, got, def_name),
            )

    def check_file(self, path: str) -> None:
        fixture = os.path.basename(path)
        try:
            obj = load_fixture(path)
        except Exception as exc:  # noqa: BLE001 - report any parse failure
            self.report(fixture, "", "cannot parse: %s" % exc)
            return
        if not isinstance(obj, dict):
            self.report(fixture, "", "top-level value must be an object")
            return
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if fixture.startswith("meta_v1_Status"):
            def_name: str | None = STATUS
        else:
            def_name = self.definition_for(api_version or "", kind or "")
        if def_name is None:
            self.report(
                fixture, "", "no definition for apiVersion=%r kind=%r" % (api_version, kind)
            )
            return
        self.check_gvk(fixture, "", obj, def_name, required=True)
        self.check_name(fixture, obj, api_version or "", kind or "")
        self.check_value(fixture, "", obj, {"$ref": "#/definitions/" + def_name})
        # Items of a list: typed lists from the API server omit
        # apiVersion/kind on items; if present they must match.
        if kind and kind.endswith("List") and isinstance(obj.get("items"), list):
            item_schema = (
                self.defs[def_name].get("properties", {}).get("items", {}).get("items", {})
            )
            _, item_def = self.resolve(item_schema) if item_schema else (None, None)
            if item_def:
                for i, item in enumerate(obj["items"]):
                    if isinstance(item, dict):
                        self.check_gvk(fixture, "/items/%d" % i, item, item_def, required=False)

    def check_name(self, fixture: str, obj: dict[str, Any], api_version: str, kind: str) -> None:
        """File names follow <group>_<version>_<Kind>[_<variant>].json."""
        if fixture.startswith("meta_v1_Status"):
            return
        if "/" in api_version:
            group, version = api_version.split("/", 1)
        else:
            group, version = "core", api_version
        expected = "%s_%s_%s" % (group, version, kind)
        stem = os.path.splitext(fixture)[0]
        if stem != expected and not stem.startswith(expected + "_"):
            self.report(fixture, "", "file name should start with %s" % expected)


def collect(paths: list[str]) -> list[str]:
    out: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            for name in sorted(os.listdir(p)):
                if name.endswith((".json", ".yaml", ".yml")):
                    out.append(os.path.join(p, name))
        else:
            out.append(p)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", help="OpenAPI v2 spec (JSON, optionally gzipped)")
    parser.add_argument(
        "paths", nargs="*", help="fixture files or directories (default: tests/data/wire)"
    )
    args = parser.parse_args(argv)

    spec_path = args.spec
    if spec_path is None:
        for cand in DEFAULT_SPEC_CANDIDATES:
            if os.path.exists(cand):
                spec_path = os.path.normpath(cand)
                break
    if spec_path is None or not os.path.exists(spec_path):
        print("spec not found; pass --spec", file=sys.stderr)
        return 2

    checker = Checker(load_spec(spec_path))
    files = collect(args.paths or [DEFAULT_WIRE_DIR])
    if not files:
        print("no fixtures found", file=sys.stderr)
        return 2
    for path in files:
        before = len(checker.problems)
        checker.check_file(path)
        n = len(checker.problems) - before
        print("%-60s %s" % (os.path.basename(path), "OK" if n == 0 else "%d problem(s)" % n))
    for problem in checker.problems:
        print(problem)
    print(
        "checked %d file(s) against %s: %d problem(s)"
        % (len(files), spec_path, len(checker.problems))
    )
    return 1 if checker.problems else 0


if __name__ == "__main__":
    sys.exit(main())
