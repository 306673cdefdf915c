#!/usr/bin/env python3
"""kv_cache_memory.py: chapter 09's memory benchmark: KV cache bytes against context length, per cache variant.

Writes a JSON file (every number) and a PNG (two plots): SmolLM2-135M under each of kvlm's cache
variants, and five real models up to a 128K context, with the articles' "~1 MB per token, 128K
context ~ 128 GB" worked out from real configs.
Not a measurement: no model runs; these are the formulas of scripts/kv_cache_math.py applied to the
models' published configs (their sources are written next to them there). The C++ side prints the
same arithmetic for a model file with `kvlm inspect -m MODEL --context N`.

Usage: python3 benchmarks/kv_cache_memory.py [--out-json F] [--out-png F] [--block 16] [--window 1024] [--sinks 4]
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from kv_cache_math import (FP16, FP32, LLAMA2_13B, LONG_CONTEXT_MODELS, Config, kv_bytes,  # noqa: E402
                           kv_bytes_int8_per_token, kv_bytes_per_token, without_gqa)

KINDS = ["contiguous", "fp16", "int8", "paged", "window"]
CONTEXT_128K = 131072
MIB, GIB = 2**20, 2**30


def lengths(top: int) -> list[int]:
    """1, 2, 3, ... dense at the start (so paged's blocks show as steps), then ~40 per doubling up to top."""
    out, n = [], 1
    while n <= top:
        out.append(n)
        n = n + 1 if n < 64 else int(n * 1.02) + 1
    return out + ([top] if out[-1] != top else [])


def model_summary(c: Config, block: int, window: int, sinks: int) -> dict:
    per_token = {"fp32": kv_bytes_per_token(c, FP32), "fp16": kv_bytes_per_token(c, FP16),
                 "int8_with_scales": kv_bytes_int8_per_token(c)}
    return {
        "name": c.name, "num_hidden_layers": c.L, "num_attention_heads": c.H, "num_key_value_heads": c.KV,
        "head_dim": c.hd, "max_position_embeddings": c.ctx,
        "bytes_per_token": per_token,
        "bytes_per_token_without_gqa": {"fp32": kv_bytes_per_token(without_gqa(c), FP32),
                                        "fp16": kv_bytes_per_token(without_gqa(c), FP16)},
        "bytes_at_max_context": {k: kv_bytes(c, k, c.ctx, block, window, sinks) for k in KINDS},
        "bytes_at_128k_fp16": kv_bytes_per_token(c, FP16) * CONTEXT_128K,
    }


def one_mb_per_token() -> list[dict]:
    """Which real configs give the articles' ~1 MB per token (and ~128 GB at 128K)?"""
    rows = []
    for c, dtype in [(LONG_CONTEXT_MODELS[4], FP16), (without_gqa(LONG_CONTEXT_MODELS[4]), FP16),
                     (LONG_CONTEXT_MODELS[3], FP16), (without_gqa(LONG_CONTEXT_MODELS[3]), FP16),
                     (without_gqa(LONG_CONTEXT_MODELS[3]), FP32), (LLAMA2_13B, FP16)]:
        per = kv_bytes_per_token(c, dtype)
        rows.append({"model": c.name, "dtype": {FP16: "fp16", FP32: "fp32"}[dtype], "num_key_value_heads": c.KV,
                     "bytes_per_token": per, "MiB_per_token": per / MIB, "GiB_at_128k": per * CONTEXT_128K / GIB})
    return rows


def preallocation_waste(c: Config, max_len: int, block: int) -> list[dict]:
    """Share of the memory unused when every sequence gets max_len rows (pre-allocated) or whole blocks (paged)."""
    rows = []
    for n in [37, 200, 500, 1000, max_len - 1]:  # not multiples of the block: paged wastes a part of the last one
        pre = kv_bytes(c, "contiguous", max_len)
        paged = kv_bytes(c, "paged", n, block)
        used = kv_bytes(c, "contiguous", n)
        rows.append({"length": n, "preallocated_waste": 1 - used / pre, "paged_waste": 1 - used / paged})
    return rows


def memory_data(block: int = 16, window: int = 1024, sinks: int = 4) -> dict:
    """Every number of the benchmark: per-model summaries, the ~1 MB/token candidates, SmolLM2's curves."""
    smollm2 = LONG_CONTEXT_MODELS[0]
    n = lengths(2 * smollm2.ctx)  # past the context: only the window can go there, but the formulas show why
    return {
        "what": "KV cache bytes of one sequence, by formula (scripts/kv_cache_math.py), not measured",
        "block": block, "window": window, "sinks": sinks,
        "models": [model_summary(c, block, window, sinks) for c in LONG_CONTEXT_MODELS],
        "one_mb_per_token": one_mb_per_token(),
        "preallocation_waste_smollm2_2048": preallocation_waste(smollm2, 2048, block),
        "smollm2_curves": {"length": n, "max_position_embeddings": smollm2.ctx,
                           "preallocated_to_max_context": kv_bytes(smollm2, "contiguous", smollm2.ctx),
                           **{k: [kv_bytes(smollm2, k, x, block, window, sinks) for x in n] for k in KINDS}},
    }


def plot(data: dict):
    """The two plots of `data` (memory_data's), as a matplotlib figure."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 5.2))
    smol = data["smollm2_curves"]
    styles = {"contiguous": "-", "fp16": "-", "int8": "-", "paged": "--", "window": "-"}
    labels = {"contiguous": "contiguous fp32 (chapter 06)", "fp16": "fp16", "int8": "int8 + fp32 scales",
              "paged": f"paged fp32, blocks of {data['block']} (used blocks)",
              "window": f"window {data['window']} + {data['sinks']} sinks, fp32"}
    for kind in KINDS:
        left.plot(smol["length"], [b / MIB for b in smol[kind]], styles[kind], label=labels[kind])
    pre = smol["preallocated_to_max_context"]
    left.plot(smol["length"], [pre / MIB] * len(smol["length"]), ":", color="grey",
              label=f"contiguous fp32 pre-allocated to {smol['max_position_embeddings']:,}")
    left.axvline(smol["max_position_embeddings"], color="grey", ls=":", alpha=0.5)
    left.set(xscale="log", yscale="log", xlabel="positions in the cache (dotted: SmolLM2's context, 8,192)",
             ylabel="KV cache, MiB", title="SmolLM2-135M: one sequence, each variant")
    left.grid(True, which="major", alpha=0.3)
    left.legend(fontsize=8)

    n = [x for x in lengths(CONTEXT_128K) if x >= 128]
    for m in data["models"]:
        line, = right.plot(n, [x * m["bytes_per_token"]["fp16"] / GIB for x in n],
                           label=f"{m['name']} ({m['bytes_per_token']['fp16'] // 1024} KiB/token)")
        right.plot(n, [x * m["bytes_per_token_without_gqa"]["fp16"] / GIB for x in n], ":",
                   color=line.get_color(), alpha=0.6)
    right.plot(n, [x * 1e6 / GIB for x in n], "k--", lw=2, label="the articles: ~1 MB per token")
    for row in data["one_mb_per_token"]:
        if row["model"] in ("Llama-2-13B", "Llama-3.1-70B", "Llama-3.1-70B without GQA"):
            right.plot([CONTEXT_128K], [row["GiB_at_128k"]], "o", color="k")
            right.annotate(f"{row['model']}, {row['dtype']}: {row['GiB_at_128k']:.0f} GiB",
                           (CONTEXT_128K, row["GiB_at_128k"]), textcoords="offset points", xytext=(-8, 4),
                           ha="right", fontsize=8)
    right.set(xscale="log", yscale="log", xlabel="context length (128K = 131,072)",
              ylabel="KV cache, GiB (fp16; dotted: the same model without GQA)",
              title="one sequence's fp16 KV cache, real configs")
    right.grid(True, which="major", alpha=0.3)
    right.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-json", type=pathlib.Path, default=ROOT / "build" / "kv_cache_memory.json")
    ap.add_argument("--out-png", type=pathlib.Path, default=ROOT / "build" / "kv_cache_memory.png")
    ap.add_argument("--block", type=int, default=16, help="paged: positions per block (vLLM's default, kvlm's --kv-block)")
    ap.add_argument("--window", type=int, default=1024, help="window: the last W positions kept")
    ap.add_argument("--sinks", type=int, default=4, help="window: the first S positions kept (StreamingLLM uses 4)")
    a = ap.parse_args()

    data = memory_data(a.block, a.window, a.sinks)
    a.out_json.parent.mkdir(parents=True, exist_ok=True)
    a.out_json.write_text(json.dumps(data, indent=1))
    import matplotlib
    matplotlib.use("Agg")  # a file, no window
    plot(data).savefig(a.out_png, dpi=110)

    print(f"| model | KV heads | head_dim | fp32/token | fp16/token | int8+scales/token | fp16 at 128K | fp16 at 128K without GQA |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for m in data["models"]:
        b = m["bytes_per_token"]
        print(f"| {m['name']} | {m['num_key_value_heads']} | {m['head_dim']} | {b['fp32'] / 1024:.1f} KiB "
              f"| {b['fp16'] / 1024:.1f} KiB | {b['int8_with_scales'] / 1024:.2f} KiB | {m['bytes_at_128k_fp16'] / GIB:.1f} GiB "
              f"| {m['bytes_per_token_without_gqa']['fp16'] * CONTEXT_128K / GIB:.0f} GiB |")
    print("\n~1 MB per token? (128K = 131,072 positions)\n")
    print("| model | dtype | KV heads | per token | at 128K |")
    print("| --- | --- | --- | --- | --- |")
    for r in data["one_mb_per_token"]:
        print(f"| {r['model']} | {r['dtype']} | {r['num_key_value_heads']} | {r['MiB_per_token']:.2f} MiB "
              f"| {r['GiB_at_128k']:.0f} GiB |")
    print(f"\nSmolLM2-135M, sequences pre-allocated to 2,048 positions against paged blocks of {a.block}:\n")
    print("| length | unused, pre-allocated | unused, paged |")
    print("| --- | --- | --- |")
    for r in data["preallocation_waste_smollm2_2048"]:
        print(f"| {r['length']:,} | {100 * r['preallocated_waste']:.1f}% | {100 * r['paged_waste']:.1f}% |")
    print(f"\nwrote {a.out_json} and {a.out_png}")


if __name__ == "__main__":
    main()
