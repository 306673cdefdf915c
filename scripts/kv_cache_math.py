#!/usr/bin/env python3
"""kv_cache_math.py: prints every number in docs/kv-cache-math.md from the formulas written there.

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


def layer_params(c: Config) -> int:
    attn = c.D * c.H * c.hd + 2 * c.D * c.KV * c.hd + c.H * c.hd * c.D  # q, k, v, o
    bias = (c.H * c.hd + 2 * c.KV * c.hd) if c.qkv_bias else 0
    return attn + bias + 3 * c.D * c.I + 2 * c.D  # + gate/up/down + two RMSNorm weights


def params(c: Config) -> int:
    return c.V * c.D + c.L * layer_params(c) + c.D + (0 if c.tied else c.V * c.D)


def kv_bytes_per_token(c: Config, b: int) -> int:
    return 2 * c.L * c.KV * c.hd * b  # K and V, every layer, every KV head


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
