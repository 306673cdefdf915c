#!/usr/bin/env python3
"""kvlm quantize's files from an HF folder, read by HF transformers' own GGUF loader.

For the tiny llama, qwen2 and gpt2 fixtures (data/gguf/*-tiny): `kvlm quantize -m FOLDER --type f32`
writes a GGUF; AutoModelForCausalLM.from_pretrained(dir, gguf_file=...) builds the model from it
(config from the {arch}.* keys, but gpt2's from the folder: see below; llama's Q/K rows
un-permuted by transformers itself) and its logits
must equal those of from_pretrained(FOLDER) within 1e-5: both run the same fp32 weights through the
same torch code, so only the un-permuted rows' summation order may differ (about 1e-6 at logits of 5).
The folders have no tokenizer.json: the GGUF carries {arch}.vocab_size and tokenizer.ggml.model
"no_vocab", and the model is loaded without a tokenizer. Exits 77 (skipped) when transformers, torch,
accelerate or gguf is not installed (requirements.txt leaves them to scripts/reference/).

    check_quantize_with_transformers.py KVLM_BINARY DATA_DIR OUT_DIR
"""
import subprocess
import sys
from pathlib import Path

try:
    import accelerate  # noqa: F401  (transformers' GGUF path needs it)
    import gguf  # noqa: F401
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM
except ImportError as e:
    print(f"skipped: {e.name} is not installed (pip install torch transformers accelerate gguf)")
    sys.exit(77)

kvlm, data, out_dir = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
out_dir.mkdir(parents=True, exist_ok=True)
IDS = torch.tensor([[1, 17, 42, 99, 5, 64, 3, 120]])
TOLERANCE = 1e-5  # fp32 against fp32, same torch code: summation order only (see above)

worst = 0.0
for name in ("llama-tiny", "qwen2-tiny", "gpt2-tiny"):
    folder = data / "gguf" / name
    gguf_name = f"{name}.kvlm.f32.gguf"
    subprocess.run([kvlm, "quantize", "-m", str(folder), "--type", "f32", "-o", str(out_dir / gguf_name)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with torch.no_grad():
        # fp32 asked at load: transformers refuses .float() on a model it built from a GGUF
        want = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()(IDS).logits
        # transformers' GGUF mapping for gpt2 (5.x) reads neither a vocabulary size nor the number of
        # positions from the file, so it builds GPT-2's defaults (50257 x 1024) and refuses these tensors;
        # for gpt2 the folder's config is given and the GGUF supplies the tensors, laid out as checked here.
        config = {"config": AutoConfig.from_pretrained(folder)} if name == "gpt2-tiny" else {}
        got = AutoModelForCausalLM.from_pretrained(out_dir, gguf_file=gguf_name, dtype=torch.float32,
                                                   **config).eval()(IDS).logits
    assert got.shape == want.shape, f"{name}: logits {tuple(got.shape)}, the folder's {tuple(want.shape)}"
    diff = (got - want).abs().max().item()
    worst = max(worst, diff)
    print(f"{name}: transformers reads {gguf_name}; max |logit - folder's logit| = {diff:.2g} "
          f"of max |logit| {want.abs().max().item():.2f}")
    assert diff <= TOLERANCE, f"{name}: {diff} > {TOLERANCE}"
print(f"ok: worst {worst:.2g} <= {TOLERANCE}")
