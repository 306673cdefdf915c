#!/usr/bin/env python3
"""Writes kvlm's own tiny HF-layout models and their HuggingFace goldens into data/models/.

What it is: the generator of every model fixture the test suite uses without ../shared.
What it is not: a converter of real models (see make_reference.py for those).

Each fixture folder holds config.json, model.safetensors (or shards / F16 / BF16) and
reference.safetensors in the layout of ../shared/models/README.md:
  p{i}.input_ids [T] int64, p{i}.logits [T,V] (float64 run, stored f32), p{i}.logits_fp32,
  p{i}.hidden{l} [T,D], p{i}.layer{l}.k/.v [KV,T,hd] (keys after RoPE), p{i}.greedy [N] int64,
  p{i}.greedy_margin [N] f32.
Run from the repository root:  python3 scripts/reference/make_fixtures.py [NAME ...]
Needs: pip install torch transformers safetensors numpy
"""
import json
import pathlib
import struct

import numpy as np
import torch
import transformers

transformers.utils.logging.disable_progress_bar()
from safetensors.torch import save_file

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "data" / "models"
PROMPT_LENGTHS = (1, 6, 21)
GREEDY_TOKENS = 24
MIN_MARGIN = 2e-3  # greedy steps closer than this could flip in fp32; such fixtures are re-drawn


def llama_config(**kw):
    base = dict(vocab_size=256, hidden_size=48, intermediate_size=112, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=96,
                rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False,
                bos_token_id=1, eos_token_id=2, initializer_range=0.15)
    base.update(kw)
    return transformers.LlamaConfig(**base)


SLIDING_WINDOW = 8  # shorter than the 21-token prompt, so the window drops keys in every test


def family_config(cls, **kw):
    """The model families of docs/model-families.md, as small as the llama fixtures."""
    base = dict(vocab_size=256, hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, max_position_embeddings=96, rms_norm_eps=1e-6, tie_word_embeddings=False,
                bos_token_id=1, eos_token_id=2, pad_token_id=0, initializer_range=0.15)
    base.update(kw)
    return cls(**base)


FIXTURES = {
    # name: (config factory, storage dtype, sharded)
    "llama-mha": (lambda: llama_config(), torch.float32, False),
    "llama-gqa-tied": (lambda: llama_config(num_key_value_heads=2, tie_word_embeddings=True,
                                            num_hidden_layers=3), torch.float32, True),
    "llama-mqa-f16": (lambda: llama_config(num_key_value_heads=1, head_dim=16), torch.float16, False),
    "qwen2-bf16": (lambda: transformers.Qwen2Config(
        vocab_size=256, hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=96, rms_norm_eps=1e-6, rope_theta=1e6,
        tie_word_embeddings=True, bos_token_id=0, eos_token_id=1, initializer_range=0.15), torch.bfloat16, False),
    "gpt2": (lambda: transformers.GPT2Config(
        vocab_size=256, n_embd=48, n_layer=2, n_head=4, n_positions=96, bos_token_id=0, eos_token_id=1,
        initializer_range=0.15), torch.float32, False),
    # Llama 3.x: the llama3 rule with an original context (16) shorter than the 21-token prompt.
    "llama3-scaled": (lambda: llama_config(num_key_value_heads=2, rope_parameters=dict(
        rope_type="llama3", rope_theta=10000.0, factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
        original_max_position_embeddings=16)), torch.float32, False),
    # Qwen2.5 long context: yarn (with its attention_factor on cos/sin); factor = 96 / 16 as HF expects.
    "qwen2-yarn": (lambda: family_config(transformers.Qwen2Config, rope_parameters=dict(
        rope_type="yarn", rope_theta=10000.0, factor=6.0, original_max_position_embeddings=16)),
        torch.float32, False),
    # Qwen3: q_norm/k_norm, head_dim (16) independent of hidden_size / heads (12), no bias.
    "qwen3": (lambda: family_config(transformers.Qwen3Config, head_dim=16, rope_theta=1e6), torch.float32, False),
    "mistral": (lambda: family_config(transformers.MistralConfig, sliding_window=SLIDING_WINDOW),
                torch.float32, False),
    # Phi-3: fused qkv_proj and gate_up_proj; Phi-3's configs slide every layer too.
    "phi3": (lambda: family_config(transformers.Phi3Config, sliding_window=SLIDING_WINDOW), torch.float32, False),
    # Gemma 3 text: a sliding layer (local theta) then a global one (linear scaling), head_dim 16,
    # query_pre_attn_scalar 20, tied embeddings as Gemma ships them.
    "gemma3": (lambda: family_config(
        transformers.Gemma3TextConfig, head_dim=16, query_pre_attn_scalar=20, sliding_window=SLIDING_WINDOW,
        layer_types=["sliding_attention", "full_attention"], tie_word_embeddings=True,
        rope_parameters={"full_attention": dict(rope_type="linear", rope_theta=1e6, factor=2.0),
                         "sliding_attention": dict(rope_type="default", rope_theta=10000.0)}),
        torch.float32, False),
    # Gemma 3 as llama.cpp's gemma3 GGUF reader assumes it, which it does not read from the file:
    # every 6th layer global, query_pre_attn_scalar = head_dim, sliding layers at theta 10000. The
    # source of its model.f32.gguf (make_gguf_fixtures.py --families).
    "gemma3-6layer": (lambda: family_config(
        transformers.Gemma3TextConfig, num_hidden_layers=6, head_dim=16, query_pre_attn_scalar=16,
        sliding_window=SLIDING_WINDOW, layer_types=["sliding_attention"] * 5 + ["full_attention"],
        tie_word_embeddings=True,
        rope_parameters={"full_attention": dict(rope_type="linear", rope_theta=1e6, factor=2.0),
                         "sliding_attention": dict(rope_type="default", rope_theta=10000.0)}),
        torch.float32, False),
}


def randomize(model, seed):
    """Random weights large enough that logits differ clearly (HF's 0.02 init gives near-ties)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name or "ln_" in name:
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g, dtype=torch.float64))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g, dtype=torch.float64))
            else:
                p.copy_(0.15 * torch.randn(p.shape, generator=g, dtype=torch.float64))


def greedy(model, ids, n):
    """Greedy continuation without a cache, and the top-1 minus top-2 margin at each step."""
    seq = list(ids)
    out, margins = [], []
    for _ in range(n):
        with torch.no_grad():
            logits = model(torch.tensor([seq]), use_cache=False).logits[0, -1]
        top2 = torch.topk(logits, 2)
        out.append(int(top2.indices[0]))
        margins.append(float(top2.values[0] - top2.values[1]))
        seq.append(out[-1])
    return out, margins


def reference(model64, model32, config, seed):
    rng = np.random.default_rng(seed)
    tensors = {}
    min_margin = float("inf")
    for i, length in enumerate(PROMPT_LENGTHS):
        ids = [int(config.bos_token_id)] + [int(x) for x in rng.integers(3, config.vocab_size, length - 1)]
        x = torch.tensor([ids])
        with torch.no_grad():
            # A cache that keeps every position (the sliding window is applied by the mask either way),
            # so that the keys of all T positions can be stored.
            out = model64(x, output_hidden_states=True, use_cache=True, past_key_values=transformers.DynamicCache())
            out32 = model32(x, use_cache=False)
        p = f"p{i}."
        tensors[p + "input_ids"] = torch.tensor(ids, dtype=torch.int64)
        tensors[p + "logits"] = out.logits[0].float()
        tensors[p + "logits_fp32"] = out32.logits[0].float()
        for l, h in enumerate(out.hidden_states):
            tensors[p + f"hidden{l}"] = h[0].float()
        cache = out.past_key_values
        for l in range(config.num_hidden_layers):
            layer = cache.layers[l]
            tensors[p + f"layer{l}.k"] = layer.keys[0].float().contiguous()
            tensors[p + f"layer{l}.v"] = layer.values[0].float().contiguous()
        path, margins = greedy(model64, ids, GREEDY_TOKENS)
        tensors[p + "greedy"] = torch.tensor(path, dtype=torch.int64)
        tensors[p + "greedy_margin"] = torch.tensor(margins, dtype=torch.float32)
        min_margin = min(min_margin, min(margins))
    return tensors, min_margin


def interleave_rows(w, n_heads, head_dim):
    """HF half-split -> Meta interleaved order of a q/k projection's rows (undoes HF's conversion permute)."""
    return w.reshape(n_heads, 2, head_dim // 2, -1).transpose(1, 2).reshape(n_heads * head_dim, -1)


def write_llama2c(model, config, path):
    """llama2.c's legacy .bin: 7 int32 header fields, then fp32 arrays in run.c's order, Q/K in Meta's layout."""
    sd = {k: v.float() for k, v in model.state_dict().items()}
    L, D, H, KV = config.num_hidden_layers, config.hidden_size, config.num_attention_heads, config.num_key_value_heads
    hd = D // H
    vocab = config.vocab_size if config.tie_word_embeddings else -config.vocab_size
    parts = [struct.pack("7i", D, config.intermediate_size, L, H, KV, vocab, config.max_position_embeddings)]
    layer = lambda l, n: sd[f"model.layers.{l}.{n}"]
    arrays = [sd["model.embed_tokens.weight"]]
    arrays += [layer(l, "input_layernorm.weight") for l in range(L)]
    arrays += [interleave_rows(layer(l, "self_attn.q_proj.weight"), H, hd) for l in range(L)]
    arrays += [interleave_rows(layer(l, "self_attn.k_proj.weight"), KV, hd) for l in range(L)]
    arrays += [layer(l, "self_attn.v_proj.weight") for l in range(L)]
    arrays += [layer(l, "self_attn.o_proj.weight") for l in range(L)]
    arrays += [layer(l, "post_attention_layernorm.weight") for l in range(L)]
    arrays += [layer(l, "mlp.gate_proj.weight") for l in range(L)]
    arrays += [layer(l, "mlp.down_proj.weight") for l in range(L)]
    arrays += [layer(l, "mlp.up_proj.weight") for l in range(L)]
    arrays += [sd["model.norm.weight"], torch.zeros(config.max_position_embeddings * hd)]  # freq_cis: unused
    if not config.tie_word_embeddings:
        arrays.append(sd["lm_head.weight"])
    parts += [a.contiguous().numpy().astype("<f4").tobytes() for a in arrays]
    path.write_bytes(b"".join(parts))


def make(name, factory, dtype, sharded):
    """Saves a random model in its storage dtype, then loads it back the way HF users do
    (from_pretrained in float64 and float32) to compute the goldens from exactly those weights."""
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    for seed in range(100):
        config = factory()
        torch.manual_seed(seed)
        model = transformers.AutoModelForCausalLM.from_config(config).eval()
        randomize(model, seed)
        for f in folder.glob("*.safetensors*"):
            f.unlink()
        model.to(dtype).save_pretrained(folder, max_shard_size="150KB" if sharded else "100MB")
        model64 = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float64).eval()
        model32 = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
        tensors, margin = reference(model64, model32, config, seed)
        if margin >= MIN_MARGIN:
            break
    (folder / "generation_config.json").unlink(missing_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, folder / "reference.safetensors",
              metadata={"made_by": "scripts/reference/make_fixtures.py", "seed": str(seed),
                        "transformers": transformers.__version__, "torch": torch.__version__})
    if name == "llama-mha":
        write_llama2c(model64, config, folder / "llama2c.bin")
    print(f"{name}: seed {seed}, min greedy margin {margin:.4f}, stored as {dtype}")


if __name__ == "__main__":
    import sys
    torch.set_grad_enabled(False)
    only = sys.argv[1:]  # fixture names to (re)make; all when none are given
    for name, (factory, dtype, sharded) in FIXTURES.items():
        if not only or name in only:
            make(name, factory, dtype, sharded)
