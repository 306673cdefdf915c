#!/usr/bin/env python3
"""Eight `kvlm generate` processes on the same model file at once: all succeed, all agree.

Not a thread-safety test of one process (tests/generate/test_threads.cpp is): this checks that
loading (mmap of the same file, read-only) and greedy generation in separate processes do not
interfere, and that the result under contention equals a run on its own. One HF folder, one
llama2.c .bin and one GGUF from data/, greedy, 16 new tokens, compared on everything but timings.

    python3 tests/robustness/test_concurrent_generate.py build/release/kvlm data
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

N_PROCS = 8


def command(kvlm: str, model: Path, tokenizer: Path) -> list[str]:
    return [kvlm, "generate", "-m", str(model), "-t", str(tokenizer), "--prompt-ids", "1,5,9,3", "-n", "16",
            "--ignore-eos", "--threads", "1", "--json"]


def result(proc_out: str) -> dict:
    j = json.loads(proc_out)
    j.pop("timings", None)  # the only field allowed to differ
    return j


def main() -> int:
    kvlm, data = sys.argv[1], Path(sys.argv[2])
    env = dict(os.environ, OMP_NUM_THREADS="1")
    failures = 0
    # -t: the GGUF fixtures carry a toy vocabulary that is not a loadable tokenizer; any tokenizer
    # does for --prompt-ids (it only turns the ids into the "text" field).
    tokenizer = data / "tokenizers/tiny_bpe/tokenizer.json"
    for model in [data / "models/llama-mha", data / "models/llama-mha/llama2c.bin", data / "gguf/llama-tiny.q.gguf"]:
        alone = subprocess.run(command(kvlm, model, tokenizer), capture_output=True, text=True, env=env, timeout=120)
        if alone.returncode != 0:
            print(f"FAIL {model}: a single run exited {alone.returncode}: {alone.stderr.strip()}")
            failures += 1
            continue
        expected = result(alone.stdout)
        procs = [subprocess.Popen(command(kvlm, model, tokenizer), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=env) for _ in range(N_PROCS)]
        outs = [p.communicate(timeout=300) for p in procs]
        bad = 0
        for i, (p, (out, err)) in enumerate(zip(procs, outs)):
            if p.returncode != 0:
                print(f"FAIL {model}: process {i} exited {p.returncode}: {err.strip()}")
                bad += 1
            elif result(out) != expected:
                print(f"FAIL {model}: process {i} differs from the single run:\n  {result(out)}\n  {expected}")
                bad += 1
        if len(expected.get("generated_ids", [])) != 16:
            print(f"FAIL {model}: expected 16 generated ids, got {expected.get('generated_ids')}")
            bad += 1
        print(f"{'ok  ' if bad == 0 else 'FAIL'} {model}: {N_PROCS} concurrent runs, ids {expected['generated_ids']}")
        failures += bad
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
