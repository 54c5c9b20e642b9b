import json

import pytest

from lem_harness.batching import make_batches
from lem_harness.prompts import PromptError, builtin_prompts, load_prompts
from lem_harness.settings import Prompts


def test_builtin_categories_grow_in_length():
    mean_words = {
        c: sum(len(p.split()) for p in builtin_prompts(c)) / len(builtin_prompts(c))
        for c in ("short", "medium", "long")
    }
    assert mean_words["short"] < mean_words["medium"] < mean_words["long"]


def test_count_cycles_through_a_small_source():
    prompts = load_prompts(Prompts(source="builtin", category="long", file=None, count=20, input_length=None))
    source = builtin_prompts("long")
    assert len(prompts) == 20 and prompts[len(source)] == source[0]


def test_jsonl_file_prompts_and_errors_that_name_the_line(tmp_path):
    good = tmp_path / "p.jsonl"
    good.write_text(json.dumps({"prompt": "one"}) + "\n\n" + json.dumps({"prompt": "two"}) + "\n")
    assert load_prompts(Prompts("file", "medium", str(good), 3, None)) == ["one", "two", "one"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"prompt": "ok"}) + "\n" + json.dumps({"text": "x"}) + "\n")
    with pytest.raises(PromptError, match="line 2"):
        load_prompts(Prompts("file", "medium", str(bad), 1, None))
    with pytest.raises(PromptError, match="absent"):
        load_prompts(Prompts("file", "medium", str(tmp_path / "absent.jsonl"), 1, None))


def test_static_batches_keep_prompt_order():
    assert make_batches([5, 1, 9, 3, 7], 2, "static", engine_schedules=False) == [[0, 1], [2, 3], [4]]


def test_sorted_batches_group_similar_lengths():
    assert make_batches([5, 1, 9, 3, 7], 2, "sorted", engine_schedules=False) == [[2, 4], [0, 3], [1]]


def test_dynamic_batches_fill_a_token_budget_so_short_prompts_travel_together():
    lengths = [100, 10, 10, 10, 10, 10, 10, 100]
    batches = make_batches(lengths, 2, "dynamic", engine_schedules=False)
    assert sorted(i for b in batches for i in b) == list(range(8))
    # budget = 2 x mean(32.5) = 65 tokens: each long prompt alone, the six short ones together.
    assert [0] in batches and [7] in batches and sorted(max(batches, key=len)) == [1, 2, 3, 4, 5, 6]


def test_dynamic_hands_everything_to_engines_that_schedule_requests():
    assert make_batches([3, 2, 1], 1, "dynamic", engine_schedules=True) == [[0, 1, 2]]
