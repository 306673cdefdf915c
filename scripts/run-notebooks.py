#!/usr/bin/env python3
"""run-notebooks.py: executes every notebooks/*.ipynb with nbclient; exits 1 if any cell raises.

Not a notebook viewer: the committed notebooks stay without outputs. Pass --out DIR to keep the
executed copies (with their plots) for a look; CI only needs the exit code.

Usage: python3 scripts/run-notebooks.py [--timeout SECONDS_PER_CELL] [--out DIR] [NOTEBOOK ...]
Needs: the built module (build/*/src/python, or KVLM_PYTHON_PATH) and notebooks/requirements.txt.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import sys
import tempfile
import time

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=pathlib.Path, help="default: notebooks/*.ipynb")
    ap.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell")
    ap.add_argument("--out", type=pathlib.Path, help="write the executed notebooks here")
    a = ap.parse_args()
    paths = a.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    # The kernel draws with matplotlib's inline backend (PNG in the cell output): no display needed.
    os.environ.pop("MPLBACKEND", None)
    # One OpenMP thread unless told otherwise: on a machine whose cores are busy (CI running builds
    # beside us) kvlm's 2-thread parallel regions wait on each other; measured on 2 shared cores,
    # 312 naive steps took 25-65 s with 2 threads against 1.4-2.5 s with 1. The kernels inherit this.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    failed = []
    total = time.monotonic()
    sockets = tempfile.mkdtemp(prefix="kvlm-nb-")
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        # A local kernel over IPC sockets (files), not TCP: nothing listens on a port, and the
        # kernel has no "running over TCP without encryption" warning to print.
        # The socket files' prefix must be absolute: the kernel runs in notebooks/, not here.
        km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(sockets, "kernel"))
        client = NotebookClient(nb, km=km, timeout=a.timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        start = time.monotonic()
        try:
            client.execute()
            status = "ok"
        except CellExecutionError as e:
            status = "FAILED"
            failed.append(path.name)
            print(str(e)[-3000:], file=sys.stderr)
        finally:
            if km.has_kernel:  # ours, not nbclient's: it leaves a kernel it did not start running
                km.shutdown_kernel(now=True)
        print(f"{status:6} {path.name:32} {time.monotonic() - start:6.1f} s", flush=True)
        if a.out:
            a.out.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, a.out / path.name)
    shutil.rmtree(sockets, ignore_errors=True)
    print(f"{len(paths) - len(failed)}/{len(paths)} notebooks ran in {time.monotonic() - total:.1f} s")
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
