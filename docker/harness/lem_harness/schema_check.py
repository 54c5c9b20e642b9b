"""A JSON Schema validator for the subset of draft 2020-12 that the contract's exported schemas use.

The schemas in lem_harness/schemas/ are written by lem (`npm run export-schemas`, from the zod contract) and
the containers have no jsonschema package, so this small validator reads them. A keyword it does not know is
a SchemaUnsupported error, never silently ignored: a schema that starts using one fails the harness's tests.
Every error names the path of the offending value, e.g. `experiments[0].config.batching.batch_size`.
"""

from __future__ import annotations

import math
import re
from typing import Any

# Keywords that describe a value without constraining it.
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "default", "examples", "$defs"})
_CHECKED = frozenset(
    {
        "type",
        "const",
        "enum",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "items",
        "properties",
        "required",
        "additionalProperties",
        "propertyNames",
        "anyOf",
        "oneOf",
        "allOf",
        "not",
        "$ref",
    }
)
SUPPORTED = _ANNOTATIONS | _CHECKED


class SchemaError(Exception):
    """A value that does not satisfy the schema; the message starts with the value's path."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.reason = message


class SchemaUnsupported(Exception):
    """The schema uses a keyword this validator does not implement (a harness bug, not bad input)."""


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_type(value: Any, name: str) -> bool:
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if name == "number":
        return _is_number(value)
    if name == "integer":
        # JSON has one number type: 3.0 is an integer, as zod's z.int() agrees.
        return _is_number(value) and float(value).is_integer()
    if name == "string":
        return isinstance(value, str)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    raise SchemaUnsupported(f"unknown JSON Schema type {name!r}")


_TYPE_WORDS = {
    "null": "null",
    "boolean": "true or false",
    "number": "a number",
    "integer": "an integer",
    "string": "a string",
    "array": "an array",
    "object": "an object",
}


def json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON means it: true is not 1, and 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


_BOUNDS = (
    ("minimum", lambda v, b: v >= b, ">="),
    ("maximum", lambda v, b: v <= b, "<="),
    ("exclusiveMinimum", lambda v, b: v > b, ">"),
    ("exclusiveMaximum", lambda v, b: v < b, "<"),
)


class Validator:
    def __init__(self, root: dict):
        self.root = root
        self._known: set[int] = set()  # schema nodes whose keywords were checked (once each, not per value)

    def validate(self, value: Any, schema: Any = None, path: str = "") -> None:
        schema = self.root if schema is None else schema
        if schema is True or not schema:
            if schema is False:
                raise SchemaError(path, "no value is allowed here")
            return
        if id(schema) not in self._known:
            unknown = set(schema) - SUPPORTED
            if unknown:
                raise SchemaUnsupported(f"JSON Schema keyword {sorted(unknown)[0]!r} (at {path or 'the root'})")
            self._known.add(id(schema))
        if "$ref" in schema:
            self.validate(value, self._resolve(schema["$ref"]), path)
        self._check_type(value, schema, path)
        self._check_values(value, schema, path)
        if isinstance(value, dict):
            self._check_object(value, schema, path)
        if isinstance(value, list):
            self._check_array(value, schema, path)
        self._check_combinators(value, schema, path)

    def _resolve(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise SchemaUnsupported(f"$ref {ref!r}: only references inside the same schema are supported")
        node: Any = self.root
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def _check_type(self, value: Any, schema: dict, path: str) -> None:
        expected = schema.get("type")
        if expected is None:
            return
        names = expected if isinstance(expected, list) else [expected]
        if not any(_is_type(value, n) for n in names):
            words = " or ".join(_TYPE_WORDS.get(n, n) for n in names)
            raise SchemaError(path, f"expected {words}, got {_describe(value)}")

    def _check_values(self, value: Any, schema: dict, path: str) -> None:
        if "const" in schema and not json_equal(value, schema["const"]):
            raise SchemaError(path, f"expected {_describe(schema['const'])}, got {_describe(value)}")
        if "enum" in schema and not any(json_equal(value, o) for o in schema["enum"]):
            options = ", ".join(str(o) for o in schema["enum"])
            raise SchemaError(path, f"expected one of {options}, got {_describe(value)}")
        if _is_number(value):
            for key, ok, word in _BOUNDS:
                if key in schema and not ok(value, schema[key]):
                    raise SchemaError(path, f"must be {word} {schema[key]}, got {_describe(value)}")
        if isinstance(value, str):
            if "minLength" in schema and len(value) < schema["minLength"]:
                n = schema["minLength"]
                what = "a non-empty string" if n == 1 else f"at least {n} characters"
                raise SchemaError(path, f"expected {what}, got {_describe(value)}")
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                raise SchemaError(path, f"must be at most {schema['maxLength']} characters long")
            if "pattern" in schema and re.search(schema["pattern"], value) is None:
                raise SchemaError(path, f"must match {schema['pattern']}, got {_describe(value)}")

    def _check_object(self, value: dict, schema: dict, path: str) -> None:
        properties = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                raise SchemaError(_join(path, key), "required field is missing")
        for key, item in value.items():
            if "propertyNames" in schema:
                self.validate(key, schema["propertyNames"], _join(path, key))
            if key in properties:
                self.validate(item, properties[key], _join(path, key))
            elif "additionalProperties" in schema:
                extra = schema["additionalProperties"]
                if extra is False:
                    raise SchemaError(_join(path, key), "unknown field")
                self.validate(item, extra, _join(path, key))

    def _check_array(self, value: list, schema: dict, path: str) -> None:
        if "minItems" in schema and len(value) < schema["minItems"]:
            what = "a non-empty array" if schema["minItems"] == 1 else f"at least {schema['minItems']} items"
            raise SchemaError(path, f"expected {what}")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise SchemaError(path, f"expected at most {schema['maxItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                self.validate(item, schema["items"], _join(path, i))

    def _check_combinators(self, value: Any, schema: dict, path: str) -> None:
        for sub in schema.get("allOf", []):
            self.validate(value, sub, path)
        if "not" in schema and self._error(value, schema["not"], path) is None:
            raise SchemaError(path, f"{_describe(value)} is not allowed here")
        if "anyOf" in schema:
            self._one_or_any(value, schema["anyOf"], path, exactly_one=False)
        if "oneOf" in schema:
            self._one_or_any(value, schema["oneOf"], path, exactly_one=True)

    def _error(self, value: Any, schema: Any, path: str) -> SchemaError | None:
        try:
            self.validate(value, schema, path)
        except SchemaError as e:
            return e
        return None

    def _one_or_any(self, value: Any, branches: list, path: str, *, exactly_one: bool) -> None:
        errors = [self._error(value, b, path) for b in branches]
        passed = sum(e is None for e in errors)
        if passed == 0:
            raise self._closest(value, branches, errors)
        if exactly_one and passed > 1:
            raise SchemaError(path, f"matches {passed} alternatives where exactly one is allowed")

    @staticmethod
    def _closest(value: Any, branches: list, errors: list) -> SchemaError:
        """The error of the alternative the value most likely meant: one whose constant fields (a tagged union's
        tag, e.g. "event") match, then the one whose error lies deepest."""

        def tag_matches(branch: Any) -> bool:
            props = branch.get("properties", {}) if isinstance(branch, dict) else {}
            tags = {k: p["const"] for k, p in props.items() if isinstance(p, dict) and "const" in p}
            return (
                bool(tags)
                and isinstance(value, dict)
                and all(k in value and json_equal(value[k], c) for k, c in tags.items())
            )

        ranked = sorted(range(len(branches)), key=lambda i: (not tag_matches(branches[i]), -len(errors[i].path)))
        return errors[ranked[0]]


def validate(value: Any, schema: dict) -> None:
    """Raises SchemaError naming the first offending path, or SchemaUnsupported for an unknown keyword."""
    Validator(schema).validate(value)


def keywords(schema: Any) -> set[str]:
    """Every keyword a schema uses (property names and constant values excluded), for the support check."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        for key, sub in node.items():
            found.add(key)
            if key in ("properties", "$defs"):
                for item in sub.values():
                    walk(item)
            elif key not in ("const", "enum", "default", "examples", "required"):
                walk(sub)

    walk(schema)
    return found
