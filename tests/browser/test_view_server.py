"""`kvlm view`'s server: only the viewer's files and the trace, 404 for anything else, 127.0.0.1 only, Ctrl-C exits 0.

Not the page (test_browser.py). Stdlib only. Usage: test_view_server.py KVLM DATA_DIR OUT_DIR
"""
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from view_common import Viewer, make_trace


def get(port, target):
    """Raw HTTP GET (urllib would normalize '../'); returns the status code."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1])


def listening_addresses(port):
    """Local addresses listening on port, from /proc/net/tcp{,6} (state 0A = LISTEN)."""
    out = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(name).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, p = local.split(":")
            if state == "0A" and int(p, 16) == port:
                out.append(addr)
    return out


def main():
    kvlm, data_dir, out_dir = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    out_dir.mkdir(parents=True, exist_ok=True)
    trace, _ = make_trace(kvlm, data_dir, out_dir)
    failures = []

    def expect(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    v = Viewer(kvlm, trace)
    try:
        for target in ["/", "/index.html", "/viewer.js", "/viewer.css", "/trace.json", "/trace.json?x=1"]:
            expect(get(v.port, target) == 200, f"GET {target} -> 200")
        for target in ["/../CMakeLists.txt", "/..%2fCMakeLists.txt", "/%2e%2e/README.md", "//etc/passwd",
                       "/etc/passwd", "/viewer/../../README.md", "/compare.json", "/README.md", "/index.html/",
                       "/" + str(trace)]:
            expect(get(v.port, target) == 404, f"GET {target} -> 404")
        addrs = listening_addresses(v.port)
        expect(addrs == ["0100007F"], f"listens on 127.0.0.1 only (found {addrs})")
    finally:
        code = v.stop()
    expect(code == 0, f"exits 0 on SIGINT (got {code})")

    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run([kvlm, "view", str(Path(d) / "missing.json")], capture_output=True, text=True, timeout=10)
        expect(r.returncode == 1 and "cannot read the trace" in r.stderr, f"a missing trace: exit 1 with a sentence ({r.stderr.strip()})")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
