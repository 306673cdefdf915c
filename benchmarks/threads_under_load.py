#!/usr/bin/env python3
"""threads_under_load.py: kvlm's decode speed at each thread setting while other processes keep
CPUs busy, as on a laptop running a browser. Answers: is the default thread count good enough
when the machine is not idle? (Issue: OpenMP's spinning workers made 2 threads 15x slower than 1.)

For each number of busy processes (0, 1, every CPU) it runs `kvlm generate --json` with the default
threads and with each explicit count, interleaved and repeated, and prints decode tok/s, the best
setting, and default / best. Usage:
  python3 benchmarks/threads_under_load.py [--kvlm build/release/kvlm] [--model M] [--repeats 3] [--out F.json]
"""
import argparse
import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROMPT = ("Once upon a time, in a small village at the edge of a great forest, there lived an old "
          "clockmaker who")


def busy_loop():  # one CPU's worth of someone else's work
    while True:
        pass


def decode_tok_per_s(kvlm, model, threads, new_tokens):
    cmd = [str(kvlm), "generate", "-m", str(model), "-p", PROMPT, "-n", str(new_tokens), "--json"]
    if threads:
        cmd += ["--threads", str(threads)]
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, timeout=600)
    return json.loads(out.stdout)["timings"]["decode_tok_per_s"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kvlm", type=Path, default=ROOT / "build/release/kvlm")
    ap.add_argument("--model", type=Path, default=ROOT / "models/SmolLM2-135M-Instruct.Q4_1.gguf")
    ap.add_argument("--new-tokens", type=int, default=48)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if not args.model.exists():
        sys.exit(f"{args.model} not found: scripts/fetch-models.sh fetches it")
    cpus = len(os.sched_getaffinity(0))
    settings = [0] + list(range(1, cpus + 1))  # 0 = the default (no --threads)
    rows = []
    for busy in sorted({0, 1, cpus}):
        procs = [multiprocessing.Process(target=busy_loop, daemon=True) for _ in range(busy)]
        for p in procs:
            p.start()
        try:
            best = {s: 0.0 for s in settings}  # best of the repeats, interleaved across settings
            for _ in range(args.repeats):
                for s in settings:
                    best[s] = max(best[s], decode_tok_per_s(args.kvlm, args.model, s, args.new_tokens))
        finally:
            for p in procs:
                p.terminate()
        top = max(settings[1:], key=lambda s: best[s])
        rows.append({"busy_processes": busy, "cpus": cpus, "decode_tok_per_s": {str(s) if s else "default": best[s]
                                                                               for s in settings},
                     "best_threads": top, "default_over_best": best[0] / best[top]})
        r = rows[-1]
        print(f"{busy} busy of {cpus} CPUs: " + ", ".join(f"{k} {v:.1f}" for k, v in r["decode_tok_per_s"].items()) +
              f" tok/s; best --threads {top}; default / best = {r['default_over_best']:.2f}", flush=True)
    if args.out:
        args.out.write_text(json.dumps({"model": args.model.name, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
