#!/usr/bin/env python3
"""check-doc-commands.py: runs the commands that README.md, docs/ and the chapters' READMEs show,
exactly as written, from the repository root, and fails if one of them fails.

A command is a line of a ```sh block, or a line starting with "$ " in any other fenced block
(shown with its output), or an inline `code span` that starts with build/release/, ctest or cmake.
Skipped, each for a stated reason: the setup and test commands themselves
(they run this script), commands that install or download, long benchmarks, servers, and lines
with placeholders (MODEL, FILE, ...). A command shown failing on purpose says so in its comment
("# ... exits 8"). Not a doctest: the output is not compared, only the exit code, and that it
leaves no ctest `Testing/` folder in the root (anything else it writes there is removed).

  python3 scripts/check-doc-commands.py [--list]
"""
import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ["README.md", "docs/*.md", "chapters/*/README.md", "notebooks/README.md", "data/*/README.md"]
SKIP = [
    (r"scripts/(setup|test|fetch-models|check-exercises|run-notebooks)\.sh|\.ci/run", "setup and tests: they run this"),
    (r"\b(apt-get|apt|pip|pip3|sudo|git clone|curl|wget)\b", "installs or downloads"),
    (r"benchmarks/|bench_|--benchmark", "benchmarks take minutes"),
    (r"kvlm view|jupyter", "a server"),
    (r"make_(reference|fixtures|gguf_fixtures|tokenizer_fixtures|tokenizer_golden)\.py", "needs torch and transformers"),
    (r"\b(MODEL|TOKENIZER|FILE|TEXT|BUILD_ROOT|NAME|TRACE|NN)\b|chNN|\.\.\.|<[a-z_]+>|\bN\b", "a placeholder"),
    (r"^echo \$\?$", "shows the previous command's exit code"),
    (r'^[^"]*"[^"]*$', "the first line of a multi-line command"),
    (r"cmake --install|find_package", "installs"),
    (r"/tmp/(broken|llama-mha-ref)", "needs a file made by a skipped step"),
]


def commands(path: Path):
    fence, lang = None, ""
    for n, line in enumerate(path.read_text().splitlines(), 1):
        m = re.match(r"^(\s*)(```+)(\w*)", line)
        if m:
            if fence is None:
                fence, lang = m.group(2), m.group(3)
            elif m.group(2) == fence:
                fence = None
            continue
        if fence is None:
            for span in re.findall(r"`([^`]+)`", line):
                if re.match(r"(OMP_NUM_THREADS=\d+ )?(\./)?build/release/|ctest |cmake ", span):
                    yield n, span
            continue
        text = None
        if line.startswith("$ "):
            text = line[2:]
        elif lang in ("sh", "bash", "shell") and line.strip() and not line.lstrip().startswith("#"):
            text = line
        if text:
            yield n, text.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", action="store_true", help="list the commands and skips, run nothing")
    args = ap.parse_args()
    failures, ran = [], 0
    for pattern in DOCS:
        for path in sorted(ROOT.glob(pattern)):
            for n, cmd in commands(path):
                where = f"{path.relative_to(ROOT)}:{n}"
                body = re.sub(r"\s+#.*$", "", cmd)  # the trailing comment is not part of the command
                reason = next((why for rx, why in SKIP if re.search(rx, body)), None)
                if reason or cmd.endswith("\\"):
                    if args.list:
                        print(f"skip  {where}: {cmd}   ({reason or 'continued line'})")
                    continue
                # Exercise tests fail on the skeletons as committed (only build/solutions passes them).
                exercise = re.search(r"-L exercises|ch\d\d_ex_", body) and "build/solutions" not in body
                expect_fail = exercise or re.search(r"#.*\bexits [1-9]", cmd) is not None
                if args.list:
                    print(f"run   {where}: {body}")
                    continue
                before = {p.name for p in ROOT.iterdir()}
                r = subprocess.run(["bash", "-c", body], cwd=ROOT, capture_output=True, text=True, timeout=300)
                ran += 1
                stray = {p.name for p in ROOT.iterdir()} - before
                for name in stray:  # e.g. grades.xml: wanted by the reader, not by the repository
                    subprocess.run(["rm", "-rf", str(ROOT / name)], check=True)
                stray &= {"Testing"}
                ok = (r.returncode != 0) == expect_fail and not stray
                print(f"{'ok  ' if ok else 'FAIL'} {where}: {body}", flush=True)
                if not ok:
                    detail = f"exit {r.returncode}" + (f", left {sorted(stray)} in the root" if stray else "")
                    failures.append(f"{where}: {body}\n    {detail}\n    {(r.stderr or r.stdout).strip()[-400:]}")
    if args.list:
        return
    print(f"\ncheck-doc-commands: {ran - len(failures)} passed, {len(failures)} failed")
    for f in failures:
        print("  " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
