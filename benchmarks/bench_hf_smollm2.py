#!/usr/bin/env python3
"""bench_hf_smollm2.py: HF transformers prefill and decode speed on SmolLM2-135M (the GGUF, dequantized).

Not a kvlm benchmark: it is the PyTorch baseline that kvlm's numbers are put next to, measured the
same way (batch 1, fp32, CPU, eager attention, a fixed prompt, greedy decode with HF's KV cache).
Prints one JSON object on stdout, with the machine's load average: PyTorch's threads spin-wait at
every op, so on a busy machine 2 threads can be many times slower than 1 (seen here: decode 1.4
tok/s with 2 threads vs 10.7 with 1 at load 7 on 2 cores). Compare runs at equal threads and load. Usage:

  benchmarks/bench_hf_smollm2.py [--model models/SmolLM2-135M-Instruct.Q4_1.gguf] [--threads 2]
                                 [--prompt-tokens 128] [--new-tokens 64] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import torch
import transformers
from transformers import AutoModelForCausalLM


@torch.no_grad()
def run_once(model, prompt: torch.Tensor, new_tokens: int) -> tuple[float, float]:
    """(prefill seconds, decode seconds for new_tokens - 1 cached steps)."""
    t0 = time.perf_counter()
    out = model(prompt, use_cache=True)
    t1 = time.perf_counter()
    cache, token = out.past_key_values, out.logits[:, -1:].argmax(-1)
    for _ in range(new_tokens - 1):
        out = model(token, past_key_values=cache, use_cache=True)
        cache, token = out.past_key_values, out.logits[:, -1:].argmax(-1)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def measure(model_path: Path, threads: int, prompt_tokens: int, new_tokens: int, repeats: int) -> dict:
    """Loads the model in HF transformers and returns its best prefill and decode speed as a dict."""
    torch.set_num_threads(threads)
    kw = {"gguf_file": model_path.name} if model_path.suffix == ".gguf" else {}
    where = model_path.parent if kw else model_path
    model = AutoModelForCausalLM.from_pretrained(where, dtype=torch.float32, attn_implementation="eager", **kw)
    model.eval()
    # A fixed prompt: ids 1000, 1001, ... (the speed does not depend on which tokens they are).
    prompt = torch.arange(1000, 1000 + prompt_tokens).unsqueeze(0)

    run_once(model, prompt, 4)  # warm-up
    runs = [run_once(model, prompt, new_tokens) for _ in range(repeats)]
    prefill_s = min(r[0] for r in runs)
    decode_s = min(r[1] for r in runs)
    return {
        "model": model_path.name,
        "framework": f"transformers {transformers.__version__}, torch {torch.__version__}",
        "dtype": "float32", "attention": "eager", "device": "cpu", "threads": threads,
        "cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "prompt_tokens": prompt_tokens, "new_tokens": new_tokens, "repeats": repeats,
        "prefill_ms": round(prefill_s * 1e3, 2),
        "prefill_tok_per_s": round(prompt_tokens / prefill_s, 2),
        "decode_ms": round(decode_s * 1e3, 2),
        "decode_tok_per_s": round((new_tokens - 1) / decode_s, 2),
    }


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=root / "models/SmolLM2-135M-Instruct.Q4_1.gguf")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt-tokens", type=int, default=128)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3, help="timed runs after one warm-up; the best is kept")
    args = ap.parse_args()
    if not args.model.exists():
        raise SystemExit(f"{args.model} not found: run scripts/fetch-models.sh")
    print(json.dumps(measure(args.model, args.threads, args.prompt_tokens, args.new_tokens, args.repeats)))


if __name__ == "__main__":
    main()
