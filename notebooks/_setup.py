"""_setup.py: what every notebook runs first: find the built `kvlm` module and pick a model.

Not part of kvlm: only the plumbing that lets a notebook say `from _setup import kvlm, demo_model`.

Where the module comes from, first match wins:
  1. $KVLM_PYTHON_PATH: a folder holding kvlm.cpython-*.so (e.g. build/nb/src/python);
  2. the newest build/*/src/python/kvlm*.so under the repository root (cmake -B build/<anything>);
  3. a kvlm installed in this Python (`pip install .`).
Which model the notebooks use:
  1. $KVLM_MODEL, or SmolLM2-135M-Instruct at models/*.gguf (scripts/fetch-models.sh puts it there),
     when this build of kvlm can load it;
  2. otherwise a tiny fixture from data/models/ (random weights, 256-token vocabulary, no tokenizer):
     every plot still works, only the words are missing.
"""
from __future__ import annotations

import functools
import glob
import importlib.util
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


def _find_module_dir() -> pathlib.Path | None:
    env = os.environ.get("KVLM_PYTHON_PATH")
    if env:
        return pathlib.Path(env)
    built = glob.glob(str(ROOT / "build" / "*" / "src" / "python" / "kvlm*.so"))
    if built:
        return pathlib.Path(max(built, key=os.path.getmtime)).parent
    if importlib.util.find_spec("kvlm"):
        return None  # installed with pip: a plain import finds it
    raise ImportError("no kvlm module: build it with\n"
                      "  cmake --preset release && cmake --build --preset release\n"
                      "or `pip install .`, or set KVLM_PYTHON_PATH to the folder that holds kvlm*.so")


if (_module_dir := _find_module_dir()) is not None:
    sys.path.insert(0, str(_module_dir))
import kvlm  # noqa: E402  (the C++ library, through src/python/module.cpp)


def smollm2_path() -> pathlib.Path | None:
    """$KVLM_MODEL, or models/*SmolLM2*.gguf, or the HF folder models/SmolLM2*/, or None."""
    if os.environ.get("KVLM_MODEL"):
        return pathlib.Path(os.environ["KVLM_MODEL"])
    found = sorted((ROOT / "models").glob("*SmolLM2*.gguf"))
    found += sorted(p for p in (ROOT / "models").glob("SmolLM2*") if (p / "config.json").exists())
    return found[0] if found else None


def _tokenizer_for(model_path: pathlib.Path):
    """The model's tokenizer: inside the GGUF or HF folder, else a tokenizer.json in a models/SmolLM2* folder."""
    candidates = [model_path] + sorted((ROOT / "models").glob("SmolLM2*/tokenizer.json"))
    for candidate in candidates:
        try:
            return kvlm.load_tokenizer(candidate)
        except kvlm.Error as e:
            print(f"note: no tokenizer from {candidate.name} ({e})")
    return None


@functools.lru_cache(maxsize=None)  # a notebook that asks twice gets the same model, loaded once
def demo_model(fixture: str = "llama-gqa-tied", dequantize: bool = True):
    """(model, tokenizer or None, name): SmolLM2 when present and loadable, else data/models/<fixture>.
    Notebooks 01-07 teach the fp32 path: SmolLM2's Q4_1 file is widened at load unless dequantize=False."""
    path = smollm2_path()
    if path is not None:
        try:
            model = kvlm.load_model(path, dequantize=dequantize)
            return model, _tokenizer_for(path), path.stem
        except kvlm.Error as e:
            print(f"note: {path.name} present but not loadable by this build ({e}); using a fixture")
    return kvlm.load_model(DATA / "models" / fixture), None, fixture


def demo_tokenizer():
    """(tokenizer, name): SmolLM2's when loadable, else GPT-2's from ../shared, else a tiny fixture."""
    path = smollm2_path()
    tokenizer = _tokenizer_for(path) if path is not None else None
    if tokenizer is not None:
        return tokenizer, path.stem
    shared = pathlib.Path(os.environ.get("KVLM_SHARED_DIR", ROOT.parent / "shared"))
    if (shared / "tokenizers" / "gpt2" / "tokenizer.json").exists():
        return kvlm.load_tokenizer(shared / "tokenizers" / "gpt2" / "tokenizer.json"), "gpt2"
    return kvlm.load_tokenizer(DATA / "tokenizers" / "tiny_llama3_style"), "tiny_llama3_style"


print(f"kvlm module: {kvlm.__file__}")


def write_random_model(folder: pathlib.Path, hidden_size: int = 128, num_hidden_layers: int = 4,
                       num_attention_heads: int = 4, num_key_value_heads: int = 2, intermediate_size: int = 344,
                       vocab_size: int = 512, max_position_embeddings: int = 320, seed: int = 0) -> pathlib.Path:
    """Writes a Llama-shaped model with random weights (config.json + model.safetensors) and returns its folder.

    For timing plots that need more positions than the 96 of data/models/ and that must not wait for a
    real model: the cost of a forward pass depends on the shapes, not on what the weights learned.
    safetensors by hand: 8 bytes of header length, a JSON header naming each tensor's dtype, shape and
    byte range, then the raw little-endian float32 data.
    """
    import json
    import struct

    import numpy as np

    rng = np.random.default_rng(seed)
    D, hd = hidden_size, hidden_size // num_attention_heads
    shapes = {"model.embed_tokens.weight": (vocab_size, D), "model.norm.weight": (D,), "lm_head.weight": (vocab_size, D)}
    for l in range(num_hidden_layers):
        p = f"model.layers.{l}."
        shapes.update({
            p + "input_layernorm.weight": (D,), p + "post_attention_layernorm.weight": (D,),
            p + "self_attn.q_proj.weight": (num_attention_heads * hd, D),
            p + "self_attn.k_proj.weight": (num_key_value_heads * hd, D),
            p + "self_attn.v_proj.weight": (num_key_value_heads * hd, D),
            p + "self_attn.o_proj.weight": (D, num_attention_heads * hd),
            p + "mlp.gate_proj.weight": (intermediate_size, D), p + "mlp.up_proj.weight": (intermediate_size, D),
            p + "mlp.down_proj.weight": (D, intermediate_size)})
    header, blobs, offset = {}, [], 0
    for name, shape in shapes.items():
        w = np.ones(shape, np.float32) if len(shape) == 1 else rng.normal(0, 0.1, shape).astype(np.float32)
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + w.nbytes]}
        blobs.append(w.tobytes())
        offset += w.nbytes
    folder.mkdir(parents=True, exist_ok=True)
    head = json.dumps(header).encode()
    with open(folder / "model.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": D,
              "num_hidden_layers": num_hidden_layers, "num_attention_heads": num_attention_heads,
              "num_key_value_heads": num_key_value_heads, "head_dim": hd, "intermediate_size": intermediate_size,
              "vocab_size": vocab_size, "max_position_embeddings": max_position_embeddings, "hidden_act": "silu",
              "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": False,
              "bos_token_id": 1, "eos_token_id": 2}
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    return folder


def timing_model():
    """(model, name) for time-per-token plots: SmolLM2 when loadable, else a random 4-layer model with 320 positions."""
    model, _, name = demo_model()
    if name.startswith("SmolLM2"):
        return model, name
    import tempfile
    folder = write_random_model(pathlib.Path(tempfile.mkdtemp(prefix="kvlm-random-")))
    return kvlm.load_model(folder), "random 4-layer llama (D=128)"
