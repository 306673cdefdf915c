#!/usr/bin/env python3
"""launches.py IN.cu OUT.cpp: the emulated build's one change to a .cu file (include/cuda_runtime.h).

Every launch `kernel<<<grid, block>>>(args)` becomes `emu::launch(grid, block, kernel, args)`, which a
C++ compiler can read; nothing else changes. kvlm's launches pass no shared-memory size or stream.
"""
import re
import sys

LAUNCH = re.compile(r"([A-Za-z_][\w:]*(?:<[^<>;]*>)?)<<<(.*?)>>>\(", re.S)

source = open(sys.argv[1]).read()
out, count = LAUNCH.subn(lambda m: f"emu::launch({m.group(2)}, {m.group(1)}, ", source)
if "<<<" in out:
    sys.exit(f"launches.py: a launch in {sys.argv[1]} was not rewritten")
with open(sys.argv[2], "w") as f:
    f.write(f"// Generated from {sys.argv[1]} by tests/cuda/emulator/launches.py: {count} launches rewritten.\n")
    f.write(f'#line 1 "{sys.argv[1]}"\n')
    f.write(out)
