"""Builds a small random-weight Llama-style model and an offline tokenizer in a local folder, so the
harness loads it by path exactly as it would load a user's model. No network is needed.

usage: python3 make_model.py <folder>
"""

import json
import sys
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


def main(folder: str) -> None:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    build_tokenizer(out)
    config = LlamaConfig(
        vocab_size=32000, hidden_size=1024, intermediate_size=2816, num_hidden_layers=12, num_attention_heads=16,
        num_key_value_heads=16, max_position_embeddings=2048, bos_token_id=0, eos_token_id=1, pad_token_id=2,
        tie_word_embeddings=False,
    )
    torch.manual_seed(0)
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = LlamaForCausalLM(config).to(torch.bfloat16)
    params = sum(p.numel() for p in model.parameters())
    model.save_pretrained(out)
    print(json.dumps({"model_dir": str(out), "parameters": params, "config": {
        k: getattr(config, k) for k in ("hidden_size", "num_hidden_layers", "intermediate_size", "vocab_size")}}))


if __name__ == "__main__":
    main(sys.argv[1])
