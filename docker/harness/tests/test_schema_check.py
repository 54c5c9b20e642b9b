"""The stdlib validator against the reference implementation (jsonschema, test-only) on the shipped schemas."""

import copy
import json
import random

import jsonschema
import pytest

from lem_harness import schema_check
from lem_harness.schema_check import SchemaError, SchemaUnsupported, json_equal

from conftest import SCHEMAS, make_spec, resolved_config, synthetic_config


@pytest.mark.parametrize("name", ["batch-spec.schema.json", "event.schema.json", "result.schema.json"])
def test_every_keyword_of_the_shipped_schemas_is_supported(name):
    schema = json.loads((SCHEMAS / name).read_text())
    assert schema_check.keywords(schema) <= schema_check.SUPPORTED


def test_an_unknown_keyword_is_an_error_never_ignored():
    with pytest.raises(SchemaUnsupported, match="uniqueItems"):
        schema_check.validate([1, 1], {"type": "array", "uniqueItems": True})


# Replacement values that probe each keyword: wrong types, bounds, enums, booleans posing as numbers.
PROBES = [None, True, False, 0, -1, 1, 0.5, 1.0, 2, 10_001, 9.5, "", "x", "auto", "fp8", [], [1], {}, {"a": 1}]


def _nodes(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _nodes(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _nodes(v, (*path, i))


def _replace(doc, path, value):
    out = copy.deepcopy(doc)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


@pytest.mark.parametrize("backend", ["transformers", "vllm", "tensorrt", "synthetic"])
def test_agrees_with_jsonschema_on_every_field_replaced_by_every_probe(tmp_path, spec_schema, backend):
    spec = make_spec(tmp_path, [("e1", resolved_config(backend, prompts={"input_length": 5}))])
    reference = jsonschema.Draft202012Validator(spec_schema)
    checked = 0
    for path in list(_nodes(spec))[1:]:
        for probe in PROBES:
            candidate = _replace(spec, path, probe)
            expected = reference.is_valid(candidate)
            try:
                schema_check.validate(candidate, spec_schema)
                got = True
            except SchemaError:
                got = False
            assert got == expected, (path, probe)
            checked += 1
    assert checked > 500


def test_agrees_with_jsonschema_on_events_and_results(event_schema, result_schema):
    rng = random.Random(7)
    event = {"event": "warmup", "ts": 1.5, "experiment_id": "e", "run": 2, "max_runs": 5, "cv": None}
    reference = jsonschema.Draft202012Validator(event_schema)
    for path in list(_nodes(event))[1:]:
        for probe in [*rng.sample(PROBES, 8), "finished", "warmup"]:
            candidate = _replace(event, path, probe)
            try:
                schema_check.validate(candidate, event_schema)
                got = True
            except SchemaError:
                got = False
            assert got == reference.is_valid(candidate), (path, probe)


@pytest.mark.parametrize(
    "mutate, path, words",
    [
        (lambda c: c["batching"].update(batch_size=0), "batching.batch_size", "must be > 0"),
        (lambda c: c["batching"].update(batch_size=1.5), "batching.batch_size", "expected an integer"),
        (lambda c: c["measurement"].update(sampling=1), "measurement.sampling", "expected true or false"),
        (lambda c: c["decoder"].update(preset="wild"), "decoder.preset", "expected one of deterministic"),
        (lambda c: c["synthetic"].update(ttft_ms="5"), "synthetic.ttft_ms", "expected a number"),
        (lambda c: c.update(extra_field=1), "extra_field", "unknown field"),
    ],
)
def test_errors_name_the_path_and_say_what_was_expected(mutate, path, words):
    config = synthetic_config()
    mutate(config)
    spec = make_spec("/tmp/r", [("e1", config)])
    with pytest.raises(SchemaError) as err:
        schema_check.validate(spec, json.loads((SCHEMAS / "batch-spec.schema.json").read_text()))
    assert err.value.path == f"experiments[0].config.{path}"
    assert words in err.value.reason


def test_a_tagged_union_reports_the_error_of_the_alternative_the_tag_names(event_schema):
    with pytest.raises(SchemaError) as err:
        schema_check.validate(
            {"event": "finished", "ts": 1, "experiment_id": "e", "result_path": 5, "duration_s": 1}, event_schema
        )
    assert err.value.path == "result_path"


def test_json_equality_keeps_booleans_apart_from_numbers():
    assert json_equal(1, 1.0) and not json_equal(True, 1) and not json_equal(0, False)
    assert json_equal({"a": [1, None]}, {"a": [1.0, None]}) and not json_equal("1", 1)
