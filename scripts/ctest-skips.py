#!/usr/bin/env python3
"""ctest-skips.py BUILD_DIR: prints why each test of ctest's last run was skipped.

ctest shows a skipped GoogleTest case as "***Skipped" with no reason; the reason (GTEST_SKIP's
message, e.g. "../shared not found ...") is only in ctest's log. This prints it, one line per
reason with the tests it skipped. Prints nothing when nothing was skipped.
"""
import re
import sys
from collections import defaultdict
from pathlib import Path

log = Path(sys.argv[1] if len(sys.argv) > 1 else "build/release") / "Testing/Temporary/LastTest.log"
if not log.exists():
    sys.exit(0)
text = log.read_text(errors="replace")
by_reason = defaultdict(list)
# One block per test: "N/M Testing: NAME" ... its output ... then why ctest counted it as skipped.
for block in re.split(r"\n(?=\d+/\d+ Testing: )", text):
    if "Skip regular expression found" not in block and "Test Skipped." not in block:
        continue
    name = re.search(r"\d+/\d+ Test: (.*)", block)
    reason = re.search(r": Skipped\n(.*?)\n\[  SKIPPED \]", block, re.S)
    by_reason[(reason.group(1).strip() if reason else "(no reason given)")].append(name.group(1) if name else "?")
for reason, names in by_reason.items():
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    print(f"skipped {len(names)} test(s): {reason}\n    {shown}")
