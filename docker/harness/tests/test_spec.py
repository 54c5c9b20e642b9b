import copy
import json

import jsonschema
import pytest
from conftest import make_spec, run_harness, synthetic_config

from lem_harness.settings import parse_settings
from lem_harness.spec import load_spec, parse_spec
from lem_harness.validate import SpecError


def good_spec(tmp_path):
    return make_spec(tmp_path / "results", [("e1", synthetic_config())])


def test_a_valid_spec_is_valid_for_the_exported_schema_and_for_the_harness(tmp_path, spec_schema):
    spec = good_spec(tmp_path)
    jsonschema.validate(spec, spec_schema)
    parsed = parse_spec(spec)
    assert parsed.campaign_id == "camp"
    assert parsed.experiments[0].settings.backend == "synthetic"
    assert parsed.experiments[0].settings.max_output_tokens == 8


def test_missing_config_values_take_zod_defaults():
    s = parse_settings({"backend": "pytorch", "model": {"name": "m"}}, "config")
    assert s.backend == "transformers"  # the seed's alias
    assert (s.precision, s.max_output_tokens, s.batch_size, s.strategy) == ("bf16", 128, 1, "static")
    assert (s.prompts.source, s.prompts.category, s.prompts.count) == ("builtin", "medium", 32)
    m = s.measurement
    assert (m.sample_interval_ms, m.sampling, m.idle_baseline_s, m.min_measure_s) == (100, True, 10.0, 30.0)
    assert (m.sampler, m.slow_fields_every, m.device_idle_s, m.baseline) == ("thread", 10, 10.0, "loaded_idle")
    assert m.warmup.pad_to_fixed_shape is False
    assert (m.warmup.max_runs, m.warmup.cv_threshold, m.warmup.window, m.warmup.min_runs) == (20, 0.05, 5, 3)
    assert (s.decoder.temperature, s.decoder.top_k) == (0.0, 0)


def test_a_decoder_preset_fills_what_is_left_out_and_explicit_values_win():
    s = parse_settings({"backend": "synthetic", "model": {"name": "m"},
                        "decoder": {"preset": "standard", "temperature": 0.7}}, "config")
    assert (s.decoder.temperature, s.decoder.top_p, s.decoder.top_k) == (0.7, 0.95, 50)


@pytest.mark.parametrize("mutate, path", [
    (lambda s: s.pop("campaign_id"), "campaign_id"),
    (lambda s: s.update(schema_version=2), "schema_version"),
    (lambda s: s.update(surprise=1), "surprise"),
    (lambda s: s.update(experiments=[]), "experiments"),
    (lambda s: s["experiments"][0].update(attempt=0), "experiments[0].attempt"),
    (lambda s: s["experiments"][0].update(cycle=1.5), "experiments[0].cycle"),
    (lambda s: s["experiments"][0].update(pause_before_s=-1), "experiments[0].pause_before_s"),
    (lambda s: s["experiments"][0].update(experiment_id="../escape"), "experiments[0].experiment_id"),
    (lambda s: s["experiments"][0]["config"].update(backend="tgi"), "experiments[0].config.backend"),
    (lambda s: s["experiments"][0]["config"]["measurement"].update(sample_interval_ms=5),
     "experiments[0].config.measurement.sample_interval_ms"),
    (lambda s: s["experiments"][0]["config"]["measurement"]["warmup"].update(window=1),
     "experiments[0].config.measurement.warmup.window"),
    (lambda s: s["experiments"][0]["config"]["batching"].update(batch_size=True),
     "experiments[0].config.batching.batch_size"),
    (lambda s: s["experiments"][0]["config"].update(vllm={"tensor_parallel_size": 2}), "experiments[0].config.vllm"),
    (lambda s: s["experiments"][0]["config"]["prompts"].update(source="file"), "experiments[0].config.prompts.file"),
    (lambda s: s["experiments"][0]["config"]["model"].pop("name"), "experiments[0].config.model.name"),
])
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
