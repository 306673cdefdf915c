#!/usr/bin/env python3
"""kvlm_vs_hf.py: kvlm against HF transformers on SmolLM2-135M, same prompt, threads and machine, one run.

Not a C++ benchmark harness: it calls `kvlm generate --json` (best of --repeats runs) and then
benchmarks/bench_hf_smollm2.py's measure() in this process, and prints both with their ratios
as one JSON object. Both sides: batch 1, fp32, greedy, a KV cache, the prompt ids 1000, 1001, ...

  python3 benchmarks/kvlm_vs_hf.py [--threads 2] [--prompt-tokens 128] [--new-tokens 64]
Needs: torch, transformers, gguf, accelerate (pip), a built build/release/kvlm, and the model in models/.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def kvlm_run(binary: Path, model: Path, threads: int, prompt_tokens: int, new_tokens: int) -> dict:
    ids = ",".join(str(1000 + i) for i in range(prompt_tokens))
    cmd = [str(binary), "generate", "-m", str(model), "--prompt-ids", ids, "-n", str(new_tokens),
           "--threads", str(threads), "--json"]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    assert len(out["generated_ids"]) == new_tokens, "kvlm stopped early (EOS): use more prompt-varied ids"
    return out["timings"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=ROOT / "models/SmolLM2-135M-Instruct.Q4_1.gguf")
    ap.add_argument("--kvlm", type=Path, default=ROOT / "build/release/kvlm")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt-tokens", type=int, default=128)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    # kvlm first: best of `repeats` runs after one warm-up, as the HF side does.
    kvlm_run(args.kvlm, args.model, args.threads, args.prompt_tokens, 4)
    runs = [kvlm_run(args.kvlm, args.model, args.threads, args.prompt_tokens, args.new_tokens)
            for _ in range(args.repeats)]
    kvlm = {
        "prefill_tok_per_s": round(max(args.prompt_tokens * 1e3 / r["prefill_ms"] for r in runs), 2),
        "decode_tok_per_s": round(max(r["decode_tok_per_s"] for r in runs), 2),
    }

    import bench_hf_smollm2  # noqa: E402  (torch is only needed from here on)
    hf = bench_hf_smollm2.measure(args.model, args.threads, args.prompt_tokens, args.new_tokens, args.repeats)

    print(json.dumps({
        "model": args.model.name, "threads": args.threads, "prompt_tokens": args.prompt_tokens,
        "new_tokens": args.new_tokens, "load_average_1min": round(os.getloadavg()[0], 2),
        "kvlm": kvlm,
        "hf": {k: hf[k] for k in ("framework", "prefill_tok_per_s", "decode_tok_per_s")},
        "ratio_kvlm_over_hf": {
            "prefill": round(kvlm["prefill_tok_per_s"] / hf["prefill_tok_per_s"], 2),
            "decode": round(kvlm["decode_tok_per_s"] / hf["decode_tok_per_s"], 2),
        },
    }, indent=1))


if __name__ == "__main__":
    main()
