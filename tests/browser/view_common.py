"""Shared by the `kvlm view` tests: make a trace of a data/ fixture, start and stop the server.

Not a test itself; test_view_server.py (stdlib only) and test_browser.py (selenium) import it.
"""
import json
import re
import signal
import subprocess
from pathlib import Path

FIXTURE = "models/llama-gqa-tied"   # data/ fixture: 2 layers, GQA, no tokenizer (tokens show as ids)
PROMPT_IDS = "1,5,9,13,2,7,30,4"
NEW_TOKENS = 10


def make_trace(kvlm, data_dir, out_dir, no_cache=False):
    """Runs kvlm generate --trace on the fixture; returns (path, parsed trace)."""
    path = Path(out_dir) / ("trace_naive.json" if no_cache else "trace_cached.json")
    cmd = [kvlm, "generate", "-m", str(Path(data_dir) / FIXTURE), "--prompt-ids", PROMPT_IDS,
           "-n", str(NEW_TOKENS), "--trace", str(path)] + (["--no-cache"] if no_cache else [])
    subprocess.run(cmd, check=True, capture_output=True)
    return path, json.loads(path.read_text())


class Viewer:
    """kvlm view on a free port; .url is what it printed. Stop with .stop() (SIGINT, as Ctrl-C)."""

    def __init__(self, kvlm, *traces):
        self.proc = subprocess.Popen([kvlm, "view", *map(str, traces), "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/\S*", line)
        if not m:
            self.proc.kill()
            raise RuntimeError(f"kvlm view printed no URL: {line!r} {self.proc.stderr.read()!r}")
        self.url, self.port = m.group(0), int(m.group(1))

    def stop(self):
        """Ctrl-C; returns the exit code (0 expected)."""
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return "hung after SIGINT"
