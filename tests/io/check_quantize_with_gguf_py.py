#!/usr/bin/env python3
"""kvlm quantize's files, read back by gguf-py (the gguf package llama.cpp ships).

From a GGUF: for each of q8_0, q4_0, q4_1 and f16, `kvlm quantize` turns data/gguf/llama-tiny.f32.gguf
into a new GGUF; gguf-py must parse it, find every tensor and key of the source, and each quantized
tensor's bytes must equal gguf.quants.quantize of the source values: kvlm writes what llama.cpp's own
Python writes.

From an HF folder: for every family fixture that scripts/reference/make_gguf_fixtures.py converted
with gguf-py (data/gguf/*-tiny, data/models/*/model.f32.gguf), `kvlm quantize -m FOLDER --type f32`
must hold the same tensors (names, shapes, bytes) and the same general.architecture and {arch}.*
values, of the same types, as the Python file; kvlm may add {arch}.attention.key_length and
value_length, which the tiny fixtures leave out. The tokenizer keys differ: those folders have no
tokenizer.json, so kvlm writes tokenizer.ggml.model "no_vocab" where the Python file has a toy
vocabulary. Then `--type q8_0` from the folder must equal gguf.quants.quantize of the Python file.
Exits 77 (skipped) when the gguf package is not installed.

    check_quantize_with_gguf_py.py KVLM_BINARY DATA_DIR OUT_DIR
"""
import subprocess
import sys
from pathlib import Path

try:
    import gguf
    import numpy as np
except ImportError:
    print("skipped: pip install gguf (requirements.txt) to read kvlm's files back with gguf-py")
    sys.exit(77)

kvlm, data, out_dir = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
out_dir.mkdir(parents=True, exist_ok=True)
source = gguf.GGUFReader(data / "gguf" / "llama-tiny.f32.gguf")
src = {t.name: np.asarray(t.data, dtype=np.float32) for t in source.tensors}
FILE_TYPES = {"f16": 1, "q4_0": 2, "q4_1": 3, "q8_0": 7}

for name, file_type in FILE_TYPES.items():
    path = out_dir / f"llama-tiny.{name}.gguf"
    subprocess.run([kvlm, "quantize", "-m", str(data / "gguf" / "llama-tiny.f32.gguf"), "--type", name,
                    "-o", str(path)], check=True, stdout=subprocess.DEVNULL)
    r = gguf.GGUFReader(path)
    missing = set(source.fields) - set(r.fields)
    assert not missing, f"{name}: keys lost: {missing}"
    assert int(r.fields["general.file_type"].parts[-1][0]) == file_type, name
    assert [t.name for t in r.tensors] == [t.name for t in source.tensors], name
    quantized = 0
    head = "output.weight" if any(t.name == "output.weight" for t in r.tensors) else "token_embd.weight"
    for t in r.tensors:
        if name in ("q4_0", "q4_1") and t.name == head:  # llama-quantize's rule: the head stays at 8 bits
            assert t.tensor_type == gguf.GGMLQuantizationType.Q8_0, f"{name}: {head} is {t.tensor_type.name}"
        if t.tensor_type == gguf.GGMLQuantizationType.F32:
            assert np.array_equal(np.asarray(t.data), src[t.name]), f"{name}: {t.name} changed"
            continue
        want = gguf.quants.quantize(src[t.name], t.tensor_type)
        assert np.array_equal(np.asarray(t.data).view(np.uint8), np.asarray(want).view(np.uint8)), \
            f"{name}: {t.name}'s bytes differ from gguf.quants.quantize"
        quantized += 1
    assert quantized == 16, f"{name}: {quantized} tensors quantized"
    print(f"{name}: gguf-py reads {path.name}; {quantized} tensors byte-identical to gguf.quants.quantize")

# HF folder -> GGUF, against gguf-py's conversion of the same folder.
FAMILIES = {"llama-tiny": "gguf/llama-tiny", "qwen2-tiny": "gguf/qwen2-tiny", "gpt2-tiny": "gguf/gpt2-tiny"}
FAMILIES.update({name: f"models/{name}" for name in
                 ("llama3-scaled", "mistral", "qwen2-yarn", "qwen3", "phi3", "gemma3-6layer")})
OPTIONAL_KEYS = {"attention.key_length", "attention.value_length"}


def python_file(folder: Path) -> Path:
    return folder.parent / f"{folder.name}.f32.gguf" if folder.parent.name == "gguf" else folder / "model.f32.gguf"


for name, rel in FAMILIES.items():
    folder = data / rel
    ref = gguf.GGUFReader(python_file(folder))
    want = {t.name: t for t in ref.tensors}
    for qtype in ("f32", "q8_0"):
        path = out_dir / f"{name}.hf.{qtype}.gguf"
        subprocess.run([kvlm, "quantize", "-m", str(folder), "--type", qtype, "-o", str(path)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        r = gguf.GGUFReader(path)
        got = {t.name: t for t in r.tensors}
        assert set(got) == set(want), f"{name} {qtype}: tensor names differ: {set(got) ^ set(want)}"
        for t in want.values():
            u = got[t.name]
            assert list(u.shape) == list(t.shape), f"{name}: {t.name} is {list(u.shape)}, gguf-py's {list(t.shape)}"
            x = np.asarray(t.data)
            if u.tensor_type == gguf.GGMLQuantizationType.F32:
                y = np.asarray(u.data)
                if t.name == "rope_freqs.weight":
                    # Llama 3's divisors: kvlm computes them in double (model/rope.cpp), the fixture script
                    # in float32 arithmetic; they may differ in the last of float32's 24 bits.
                    assert np.allclose(y, x, rtol=2.0**-22, atol=0), f"{name}: rope_freqs {y} vs {x}"
                else:
                    assert x.tobytes() == y.tobytes(), f"{name} {qtype}: {t.name}'s bytes differ"
            else:
                assert qtype == "q8_0" and u.tensor_type == gguf.GGMLQuantizationType.Q8_0, f"{name}: {t.name}"
                want_bytes = np.asarray(gguf.quants.quantize(x.astype(np.float32), u.tensor_type)).view(np.uint8)
                assert np.array_equal(np.asarray(u.data).view(np.uint8), want_bytes), f"{name}: {t.name}'s Q8_0 bytes"
        arch = ref.fields["general.architecture"].contents()
        assert r.fields["general.architecture"].contents() == arch, name
        assert r.fields["tokenizer.ggml.model"].contents() == "no_vocab", name
        for key, f in ref.fields.items():
            if not key.startswith(arch + "."):
                continue
            g = r.fields.get(key)
            assert g is not None, f"{name}: kvlm wrote no {key}"
            assert g.types == f.types and g.contents() == f.contents(), \
                f"{name}: {key} is {g.contents()} ({g.types}), gguf-py's {f.contents()} ({f.types})"
        extra = {k[len(arch) + 1:] for k in r.fields if k.startswith(arch + ".") and k not in ref.fields}
        assert extra <= OPTIONAL_KEYS, f"{name}: keys the Python file does not have: {extra}"
    print(f"{name}: kvlm quantize -m {rel} gives gguf-py's {len(want)} tensors and {arch}.* keys (f32 and q8_0)")
