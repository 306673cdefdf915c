#!/usr/bin/env python3
"""kv_cache_math.py: prints every number in docs/kv-cache-math.md from the formulas written there.

Also the formulas of chapter 09's cache variants (fp16, int8 + scales, paged blocks, window + sinks),
which benchmarks/kv_cache_memory.py plots for the long-context models in LONG_CONTEXT_MODELS.

Not a benchmark: nothing runs a model; these are counts from the models' published configs
(config.json on the HF hub: num_hidden_layers, hidden_size, num_attention_heads,
num_key_value_heads, head_dim, intermediate_size, vocab_size, tie_word_embeddings).

Usage: python3 scripts/kv_cache_math.py [--bytes 2] [--context 1024]
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass


@dataclass
class Config:
    name: str
    L: int        # num_hidden_layers
    D: int        # hidden_size
    H: int        # num_attention_heads
    KV: int       # num_key_value_heads
    hd: int       # head_dim
    I: int        # intermediate_size (SwiGLU: gate, up, down)
    V: int        # vocab_size
    tied: bool    # tie_word_embeddings
    ctx: int      # max_position_embeddings
    qkv_bias: bool = False


# Published configs (HF hub config.json of each model).
MODELS = [
    Config("SmolLM2-135M", L=30, D=576, H=9, KV=3, hd=64, I=1536, V=49152, tied=True, ctx=8192),
    Config("Qwen2.5-0.5B", L=24, D=896, H=14, KV=2, hd=64, I=4864, V=151936, tied=True, ctx=32768, qkv_bias=True),
    Config("Llama-3-8B", L=32, D=4096, H=32, KV=8, hd=128, I=14336, V=128256, tied=False, ctx=8192),
    Config("Llama-3-70B", L=80, D=8192, H=64, KV=8, hd=128, I=28672, V=128256, tied=False, ctx=8192),
]


# Chapter 09: the Llama 3.1 / 3.2 generation, whose configs say max_position_embeddings = 131072 (128K),
# beside the two small models above. Each from its config.json on the HF hub:
#   meta-llama/Llama-3.2-1B:  16 layers, hidden 2048, 32 heads, 8 KV heads, head_dim 64, tied embeddings
#   meta-llama/Llama-3.1-8B:  32 layers, hidden 4096, 32 heads, 8 KV heads, head_dim 128 (4096 / 32)
#   meta-llama/Llama-3.1-70B: 80 layers, hidden 8192, 64 heads, 8 KV heads, head_dim 128 (8192 / 64)
LONG_CONTEXT_MODELS = [
    MODELS[0],  # SmolLM2-135M (HuggingFaceTB/SmolLM2-135M-Instruct)
    MODELS[1],  # Qwen2.5-0.5B (Qwen/Qwen2.5-0.5B-Instruct)
    Config("Llama-3.2-1B", L=16, D=2048, H=32, KV=8, hd=64, I=8192, V=128256, tied=True, ctx=131072),
    Config("Llama-3.1-8B", L=32, D=4096, H=32, KV=8, hd=128, I=14336, V=128256, tied=False, ctx=131072),
    Config("Llama-3.1-70B", L=80, D=8192, H=64, KV=8, hd=128, I=28672, V=128256, tied=False, ctx=131072),
]
# The generation before GQA, for the articles' "~1 MB per token": one KV head per query head.
#   meta-llama/Llama-2-13b-hf: 40 layers, hidden 5120, 40 heads, 40 KV heads, head_dim 128, context 4096
LLAMA2_13B = Config("Llama-2-13B", L=40, D=5120, H=40, KV=40, hd=128, I=13824, V=32000, tied=False, ctx=4096)


def layer_params(c: Config) -> int:
    attn = c.D * c.H * c.hd + 2 * c.D * c.KV * c.hd + c.H * c.hd * c.D  # q, k, v, o
    bias = (c.H * c.hd + 2 * c.KV * c.hd) if c.qkv_bias else 0
    return attn + bias + 3 * c.D * c.I + 2 * c.D  # + gate/up/down + two RMSNorm weights


def params(c: Config) -> int:
    return c.V * c.D + c.L * layer_params(c) + c.D + (0 if c.tied else c.V * c.D)


def kv_bytes_per_token(c: Config, b: int) -> int:
    return 2 * c.L * c.KV * c.hd * b  # K and V, every layer, every KV head


def without_gqa(c: Config) -> Config:
    """The same model with one KV head per query head (multi-head attention): what GQA saves."""
    return Config(c.name + " without GQA", L=c.L, D=c.D, H=c.H, KV=c.H, hd=c.hd, I=c.I, V=c.V, tied=c.tied,
                  ctx=c.ctx, qkv_bias=c.qkv_bias)


# Chapter 09's variants: bytes held for a sequence of n positions (src/kvlm/cache/, `kvlm inspect --context N`).
FP32, FP16, INT8 = 4, 2, 1
SCALE_BYTES = 4  # int8: one fp32 scale per position, per KV head, for K and for V


def kv_bytes_int8_per_token(c: Config) -> int:
    """int8 values plus one fp32 scale per (position, KV head), for K and V: 2 * L * KV * (hd + 4)."""
    return 2 * c.L * c.KV * (c.hd * INT8 + SCALE_BYTES)


def kv_bytes(c: Config, kind: str, n: int, block: int = 16, window: int = 1024, sinks: int = 4) -> int:
    """Bytes of a cache of `kind` that hold n positions (fp32 unless the kind says otherwise): the
    cache's bytes_used(). What it allocates can be more: fp16 and int8 add one layer's fp32 scratch
    (1/L of an fp32 cache), a window allocates its S + W rows up front (`kvlm inspect` counts those).

    contiguous: exactly n rows (chapter 06 sizes the cache for the generation it runs);
    fp16, int8: the same rows, 2 bytes or 1 byte + scales per number;
    paged:      whole blocks of `block` positions, ceil(n / block) of them: at most block - 1 rows unused;
    window:     the first `sinks` positions and the last `window`, never more.
    """
    if kind == "contiguous":
        return kv_bytes_per_token(c, FP32) * n
    if kind == "fp16":
        return kv_bytes_per_token(c, FP16) * n
    if kind == "int8":
        return kv_bytes_int8_per_token(c) * n
    if kind == "paged":
        return kv_bytes_per_token(c, FP32) * block * -(-n // block)
    if kind == "window":
        return kv_bytes_per_token(c, FP32) * min(n, sinks + window)
    raise ValueError(f"unknown cache kind {kind!r}")


def matmul_flops_per_token(c: Config) -> int:
    """2 FLOPs (multiply + add) per weight touched: every layer's projections and the LM head."""
    return 2 * (c.L * (layer_params(c) - 2 * c.D) + c.V * c.D)


def attention_flops(c: Config, S: int) -> int:
    """One query row against S cached positions, every layer: q.k (2 H hd S) and probs.v (2 H hd S)."""
    return 4 * c.L * c.H * c.hd * S


def human(n: float, unit: str = "B") -> str:
    for prefix in ["", "Ki", "Mi", "Gi", "Ti"]:
        if abs(n) < 1024 or prefix == "Ti":
            return f"{n:.1f} {prefix}{unit}" if prefix else f"{n:.0f} {unit}"
        n /= 1024
    return ""


def si(n: float) -> str:
    for prefix, scale in [("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)]:
        if abs(n) >= scale:
            return f"{n / scale:.2f} {prefix}"
    return f"{n:.0f} "


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bytes", type=int, default=2, help="bytes per cached number (2: bf16/fp16, 4: fp32 as kvlm)")
    ap.add_argument("--context", type=int, default=1024, help="position of the token being generated")
    a = ap.parse_args()
    b, S = a.bytes, a.context

    print(f"## KV cache memory ({b} bytes per number)\n")
    print("| model | L | KV heads | head_dim | bytes/token = 2*L*KV*hd*b | 1,024 tokens | max context | at max context |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for c in MODELS:
        per = kv_bytes_per_token(c, b)
        print(f"| {c.name} | {c.L} | {c.KV} | {c.hd} | {per:,} ({human(per)}) | {human(per * 1024)} "
              f"| {c.ctx:,} | {human(per * c.ctx)} |")

    print(f"\n## Work per generated token at position {S} ({b}-byte weights and cache)\n")
    print("| model | params | weight FLOPs/token | attention FLOPs, cached | FLOPs, cached | "
          "FLOPs, naive (recompute S+1 rows) | bytes read, cached (weights + KV) | FLOPs/byte, cached |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for c in MODELS:
        w = matmul_flops_per_token(c)
        cached = w + attention_flops(c, S + 1)
        # naive: every row 0..S goes through every weight, row i attends to i+1 positions
        naive = (S + 1) * w + sum(attention_flops(c, i + 1) for i in range(S + 1))
        bytes_read = params(c) * b + kv_bytes_per_token(c, b) * S
        print(f"| {c.name} | {si(params(c))} | {si(w)}FLOP | {si(attention_flops(c, S + 1))}FLOP | {si(cached)}FLOP "
              f"| {si(naive)}FLOP ({naive / cached:.0f}x) | {human(bytes_read)} | {cached / bytes_read:.2f} |")


if __name__ == "__main__":
    main()
