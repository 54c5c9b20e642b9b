"""Hand-written type checks (the containers have no jsonschema). Every error names the field's path."""

from __future__ import annotations

from typing import Any, Iterable


class SpecError(Exception):
    """An invalid batch spec; the message starts with the path of the offending field."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def is_int(value: Any) -> bool:
    # JSON numbers like 3.0 are integers to zod's z.int(); bool is not a number at all.
    return not isinstance(value, bool) and (
        isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    )


def is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float))


def obj(value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        raise SpecError(path, f"expected an object, got {_describe(value)}")
    return value


def only_keys(value: dict, allowed: Iterable[str], path: str) -> None:
    extra = sorted(set(value) - set(allowed))
    if extra:
        raise SpecError(f"{path}.{extra[0]}" if path else extra[0], "unknown field")


def string(value: Any, path: str, *, min_len: int = 1) -> str:
    if not isinstance(value, str) or len(value) < min_len:
        raise SpecError(path, f"expected a non-empty string, got {_describe(value)}")
    return value


def integer(value: Any, path: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    if not is_int(value):
        raise SpecError(path, f"expected an integer, got {_describe(value)}")
    out = int(value)
    if minimum is not None and out < minimum:
        raise SpecError(path, f"must be >= {minimum}, got {out}")
    if maximum is not None and out > maximum:
        raise SpecError(path, f"must be <= {maximum}, got {out}")
    return out


def number(value: Any, path: str, *, minimum: float | None = None, above: float | None = None,
           maximum: float | None = None) -> float:
    if not is_number(value):
        raise SpecError(path, f"expected a number, got {_describe(value)}")
    out = float(value)
    if minimum is not None and out < minimum:
        raise SpecError(path, f"must be >= {minimum}, got {out}")
    if above is not None and out <= above:
        raise SpecError(path, f"must be > {above}, got {out}")
    if maximum is not None and out > maximum:
        raise SpecError(path, f"must be <= {maximum}, got {out}")
    return out


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(path, f"expected true or false, got {_describe(value)}")
    return value


def choice(value: Any, path: str, options: Iterable[str]) -> str:
    opts = list(options)
    if value not in opts:
        raise SpecError(path, f"expected one of {', '.join(opts)}, got {_describe(value)}")
    return value
