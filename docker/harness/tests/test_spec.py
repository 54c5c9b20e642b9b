import copy
import json

import jsonschema
import pytest

from lem_harness.settings import config_paths, parse_settings
from lem_harness.spec import SpecError, load_spec, parse_spec

from conftest import make_spec, resolved_config, run_harness, synthetic_config


def good_spec(tmp_path):
    return make_spec(tmp_path / "results", [("e1", synthetic_config())])


def test_a_valid_spec_is_valid_for_the_exported_schema_and_for_the_harness(tmp_path, spec_schema):
    spec = good_spec(tmp_path)
    jsonschema.validate(spec, spec_schema)
    parsed = parse_spec(spec)
    assert parsed.campaign_id == "camp"
    assert parsed.experiments[0].settings.backend == "synthetic"
    assert parsed.experiments[0].settings.max_output_tokens == 8


def test_settings_are_read_exactly_as_lem_resolved_them():
    config = resolved_config(
        "vllm",
        decoder={"preset": "standard", "temperature": 0.7, "top_p": 0.95, "top_k": 50, "repetition_penalty": 1.0},
        prompts={"input_length": 64},
        vllm={"max_num_seqs": 8},
    )
    s = parse_settings(config)
    assert (s.backend, s.model_name, s.batch_size) == ("vllm", "org/model", config["batching"]["batch_size"])
    assert (s.decoder.preset, s.decoder.temperature, s.decoder.top_k) == ("standard", 0.7, 50)
    assert s.prompts.input_length == 64 and s.revision is None
    assert s.section == config["vllm"] and s.raw is config
    paths = config_paths(s)
    assert paths["measurement.warmup.cv_threshold"] == config["measurement"]["warmup"]["cv_threshold"]
    assert paths["vllm"] == config["vllm"]


def test_numbers_take_the_type_the_harness_computes_with():
    s = parse_settings(resolved_config("synthetic", measurement={"idle_baseline_s": 3, "sample_interval_ms": 50.0}))
    assert isinstance(s.measurement.idle_baseline_s, float) and isinstance(s.measurement.sample_interval_ms, int)


def _leaf_paths(value, prefix=()):
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaf_paths(item, (*prefix, key))
    elif prefix:
        yield prefix


@pytest.mark.parametrize("backend", ["transformers", "vllm", "tensorrt", "synthetic"])
def test_no_field_is_defaulted_by_the_harness_every_absent_field_is_refused(tmp_path, backend, spec_schema):
    # Every field of a minimal resolved config is one zod required by giving it a default: take any away and the
    # harness must refuse the spec naming it, never fill it in.
    config = resolved_config(backend)
    reference = jsonschema.Draft202012Validator(spec_schema)
    for path in _leaf_paths(config):
        broken = copy.deepcopy(config)
        node = broken
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
        spec = make_spec(tmp_path, [("e1", broken)])
        with pytest.raises(SpecError) as err:
            parse_spec(spec)
        assert err.value.path == "experiments[0].config." + ".".join(path), (path, str(err.value))
        assert "required" in str(err.value)
        assert not reference.is_valid(spec)


@pytest.mark.parametrize(
    "mutate, path",
    [
        (lambda s: s.pop("campaign_id"), "campaign_id"),
        (lambda s: s.update(schema_version=2), "schema_version"),
        (lambda s: s.update(surprise=1), "surprise"),
        (lambda s: s.update(experiments=[]), "experiments"),
        (lambda s: s["experiments"][0].update(attempt=0), "experiments[0].attempt"),
        (lambda s: s["experiments"][0].update(cycle=1.5), "experiments[0].cycle"),
        (lambda s: s["experiments"][0].update(pause_before_s=-1), "experiments[0].pause_before_s"),
        (lambda s: s["experiments"][0].update(experiment_id="../escape"), "experiments[0].experiment_id"),
        (lambda s: s["experiments"][0]["config"].update(backend="tgi"), "experiments[0].config.backend"),
        (lambda s: s["experiments"][0]["config"].update(backend="pytorch"), "experiments[0].config.backend"),
        (
            lambda s: s["experiments"][0]["config"]["measurement"].update(sample_interval_ms=5),
            "experiments[0].config.measurement.sample_interval_ms",
        ),
        (
            lambda s: s["experiments"][0]["config"]["measurement"]["warmup"].update(window=1),
            "experiments[0].config.measurement.warmup.window",
        ),
        (
            lambda s: s["experiments"][0]["config"]["batching"].update(batch_size=True),
            "experiments[0].config.batching.batch_size",
        ),
        (
            lambda s: s["experiments"][0]["config"].update(vllm=resolved_config("vllm")["vllm"]),
            "experiments[0].config.vllm",
        ),
        (lambda s: s["experiments"][0]["config"].pop("synthetic"), "experiments[0].config.synthetic"),
        (
            lambda s: s["experiments"][0]["config"]["decoder"].update(preset="wild"),
            "experiments[0].config.decoder.preset",
        ),
        (
            lambda s: s["experiments"][0]["config"]["synthetic"].update(load_s=-1),
            "experiments[0].config.synthetic.load_s",
        ),
        (
            lambda s: s["experiments"][0]["config"]["synthetic"].update(surprise=1),
            "experiments[0].config.synthetic.surprise",
        ),
        (lambda s: s.update(campaign_id=".hidden"), "campaign_id"),
        (lambda s: s["experiments"][0]["config"]["model"].pop("name"), "experiments[0].config.model.name"),
    ],
)
def test_invalid_fields_are_named_by_their_path(tmp_path, mutate, path):
    spec = copy.deepcopy(good_spec(tmp_path))
    mutate(spec)
    with pytest.raises(SpecError) as err:
        parse_spec(spec)
    assert err.value.path == path, str(err.value)


def test_duplicate_experiment_ids_are_refused_as_their_results_would_collide(tmp_path):
    spec = make_spec(tmp_path, [("same", synthetic_config()), ("same", synthetic_config())])
    with pytest.raises(SpecError, match="more than once"):
        parse_spec(spec)


def test_unreadable_and_non_json_specs_are_spec_errors(tmp_path):
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(str(tmp_path / "absent.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SpecError, match="not valid JSON"):
        load_spec(str(bad))


def test_run_exits_2_naming_the_field_and_prints_no_event(tmp_path):
    spec = good_spec(tmp_path)
    spec["experiments"][0]["config"]["max_output_tokens"] = 0
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    proc = run_harness("run", str(path))
    assert proc.returncode == 2
    assert "experiments[0].config.max_output_tokens" in proc.stderr
    assert proc.stdout == ""
    assert not (tmp_path / "results").exists()


def test_identical_configs_are_checked_once_but_a_different_one_is_still_checked(tmp_path):
    good = synthetic_config()
    bad = synthetic_config(batching={"batch_size": 0})
    spec = make_spec(tmp_path, [("e1", good), ("e2", copy.deepcopy(good)), ("e3", bad)])
    with pytest.raises(SpecError) as err:
        parse_spec(spec)
    assert err.value.path == "experiments[2].config.batching.batch_size"
    assert len(parse_spec(make_spec(tmp_path, [("e1", good), ("e2", copy.deepcopy(good))])).experiments) == 2
