#!/usr/bin/env python3
"""HF tokenizers / sentencepiece encode throughput on the text bench_tokenizer.cpp uses, and the ratio.

What it is: the reference side of benchmarks/bench_tokenizer.cpp. Each tokenizer encodes the same
~2 MB text line by line (each line keeps its "\n") with one
`Tokenizer.encode_batch(lines, add_special_tokens=False)` call on ONE thread
(TOKENIZERS_PARALLELISM=false, RAYON_NUM_THREADS=1; sentencepiece: `encode(lines, num_threads=1)`),
after one warm-up call; the best of --repeat runs is reported. With --kvlm-json it reads
bench_tokenizer's JSON output and prints kvlm MB/s, HF MB/s and kvlm/HF.
What it is not: a test of equality (the golden tests are); token counts are printed to compare.

  build/tok/benchmarks/bench_tokenizer --benchmark_out=/tmp/bench_tok.json --benchmark_out_format=json
  python3 benchmarks/bench_tokenizer_hf.py --kvlm-json /tmp/bench_tok.json
"""
import os

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import argparse  # noqa: E402
import json  # noqa: E402
import pathlib  # noqa: E402
import time  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
REPETITIONS = 100  # as kRepetitions in bench_tokenizer.cpp


def bench_lines():
    base = (ROOT / "data" / "tokenizers" / "train.txt").read_bytes().decode("utf-8")
    text = "".join(f"[rep {rep}]\n" + base for rep in range(REPETITIONS))
    parts = text.split("\n")  # only "\n" ends a line, as in the C++ ("\r\n" keeps its "\r")
    lines = [p + "\n" for p in parts[:-1]]
    return lines + ([parts[-1]] if parts[-1] else [])


def time_best(fn, repeat):
    fn()  # warm-up (fills HF's word cache, as kvlm's first iteration does)
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=os.environ.get("KVLM_SHARED_DIR", str(ROOT.parent / "shared")))
    parser.add_argument("--kvlm-json", help="bench_tokenizer --benchmark_out JSON, to print ratios")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    lines = bench_lines()
    megabytes = sum(len(line.encode("utf-8")) for line in lines) / 1e6
    tok_dir = pathlib.Path(args.shared) / "tokenizers"

    kvlm = {}
    if args.kvlm_json:
        for b in json.load(open(args.kvlm_json))["benchmarks"]:
            if b["name"].startswith("BM_Encode/") and "bytes_per_second" in b:
                kvlm[b["name"].split("/")[1]] = (b["bytes_per_second"] / 1e6, int(b.get("tokens", 0)))

    from tokenizers import Tokenizer
    import sentencepiece as spm

    cases = {
        "gpt2": tok_dir / "gpt2/tokenizer.json",
        "llama3": tok_dir / "llama3/tokenizer.json",
        "qwen3": tok_dir / "qwen3/tokenizer.json",
        "llama2_json": tok_dir / "llama2/tokenizer.json",
        "llama2_sentencepiece": tok_dir / "llama2/tokenizer.model",
        "tiny_bpe": ROOT / "data/tokenizers/tiny_bpe/tokenizer.json",
    }
    print(f"text: {megabytes:.2f} MB in {len(lines)} lines; encode_batch on one thread, best of {args.repeat}")
    print(f"{'tokenizer':22} {'HF MB/s':>9} {'kvlm MB/s':>10} {'kvlm/HF':>8} {'HF tokens':>10} {'kvlm tokens':>12}")
    for name, path in cases.items():
        if not path.exists():
            print(f"{name:22} (missing {path})")
            continue
        if path.suffix == ".model":
            sp = spm.SentencePieceProcessor(model_file=str(path))
            seconds, out = time_best(lambda: sp.encode(lines, num_threads=1), args.repeat)
            count = sum(len(ids) for ids in out)
        else:
            tok = Tokenizer.from_file(str(path))
            seconds, out = time_best(lambda: tok.encode_batch(lines, add_special_tokens=False), args.repeat)
            count = sum(len(e.ids) for e in out)
        hf = megabytes / seconds
        ours, our_tokens = kvlm.get(name, (float("nan"), 0))
        print(f"{name:22} {hf:9.2f} {ours:10.2f} {ours / hf:8.2f} {count:10d} {our_tokens:12d}")


if __name__ == "__main__":
    main()
