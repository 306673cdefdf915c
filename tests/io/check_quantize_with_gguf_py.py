#!/usr/bin/env python3
"""kvlm quantize's files, read back by gguf-py (the gguf package llama.cpp ships).

For each of q8_0, q4_0, q4_1 and f16: `kvlm quantize` turns data/gguf/llama-tiny.f32.gguf into a new
GGUF; gguf-py must parse it, find every tensor and key of the source, and each quantized tensor's
bytes must equal gguf.quants.quantize of the source values: kvlm writes what llama.cpp's own
Python writes. Exits 77 (skipped) when the gguf package is not installed.

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
