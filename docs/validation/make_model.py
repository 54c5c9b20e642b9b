"""Builds a small random-weight Llama-style model and an offline tokenizer in a local folder, so the
harness loads it by path exactly as it would load a user's model. No network is needed.

usage: python3 make_model.py <folder> [hidden layers intermediate]

Without sizes: hidden 1024, 12 layers, intermediate 2816 (219.7 M parameters, the main validation run). The
GPU-bound sampler A/B (run_sampler_ab_gpu_bound.sh) passes 2048 24 5632 (about 1.36 B parameters). The
weights are created directly on the GPU when there is one, and the creation and saving times are printed.
"""

import json
import sys
import time
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

SPECIALS = ["<s>", "</s>", "<pad>", "<unk>"]  # ids 0..3, in this order


def build_tokenizer(folder: Path) -> PreTrainedTokenizerFast:
    # A byte-level BPE trained on the harness's own built-in prompts: offline, deterministic, small.
    prompts = json.loads((Path(__file__).resolve().parents[2] / "docker/harness/lem_harness/data/prompts.json").read_text())
    corpus = [p for group in prompts.values() for p in group]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(corpus * 4, trainers.BpeTrainer(vocab_size=4000, special_tokens=SPECIALS,
                                                            initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                   unk_token="<unk>")
    fast.save_pretrained(folder)
    return fast


def main(folder: str, hidden: int = 1024, layers: int = 12, intermediate: int = 2816) -> None:
    t0 = time.perf_counter()
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    build_tokenizer(out)
    config = LlamaConfig(
        vocab_size=32000, hidden_size=hidden, intermediate_size=intermediate, num_hidden_layers=layers,
        num_attention_heads=16, num_key_value_heads=16, max_position_embeddings=2048, bos_token_id=0, eos_token_id=1,
        pad_token_id=2,
        tie_word_embeddings=False,
    )
    t_tok = time.perf_counter()
    torch.manual_seed(0)
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = LlamaForCausalLM(config).to(torch.bfloat16)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    t_init = time.perf_counter()
    params = sum(p.numel() for p in model.parameters())
    model.save_pretrained(out)
    t_save = time.perf_counter()
    print(json.dumps({"model_dir": str(out), "parameters": params, "device": str(next(model.parameters()).device),
                      "config": {k: getattr(config, k) for k in ("hidden_size", "num_hidden_layers",
                                                                 "intermediate_size", "num_attention_heads",
                                                                 "vocab_size")},
                      "seconds": {"tokenizer": round(t_tok - t0, 2), "create": round(t_init - t_tok, 2),
                                  "save": round(t_save - t_init, 2)}}))


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:5]))
