"""Count passed and failed tests from a test runner's own report.

    python3 .ci/counts.py pytest STEP.log       # pytest's final summary line
    python3 .ci/counts.py junit REPORT.xml ...  # JUnit XML (schemathesis)

Prints `PASSED FAILED` (two integers). Standard library only, so it works
before the virtualenv exists. A report with no recognisable summary prints
`0 0` and exits 2: the caller decides how to count a runner that crashed.
"""

from __future__ import annotations

import re
import sys
from xml.etree import ElementTree

# pytest (with or without xdist) ends with e.g.
#   ==== 2 failed, 1530 passed, 7 skipped, 1 error in 95.12s (0:01:35) ====
# (no rules with -q, colours with --color=yes); "no tests ran in 0.01s" too.
_PYTEST_SUMMARY = re.compile(
    r"(?P<body>(?:\d+ [a-z]+(?:, )?)+|no tests ran) in [0-9.]+s(?: \([0-9:]+\))?"
)
_PYTEST_COUNT = re.compile(r"(\d+) (passed|failed|errors?|xpassed)\b")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def pytest_counts(text: str) -> tuple[int, int] | None:
    """Passed and failed (failures + errors) from the last summary line."""
    summary = None
    for line in text.splitlines():
        match = _PYTEST_SUMMARY.fullmatch(_ANSI.sub("", line).strip("= \n"))
        if match:
            summary = match.group("body")
    if summary is None:
        return None
    passed = failed = 0
    for number, word in _PYTEST_COUNT.findall(summary):
        if word in ("passed", "xpassed"):
            passed += int(number)
        else:
            failed += int(number)
    return passed, failed


def junit_counts(paths: list[str]) -> tuple[int, int] | None:
    """Passed and failed test cases over JUnit files; skipped count as neither."""
    passed = failed = 0
    seen = False
    for path in paths:
        try:
            root = ElementTree.parse(path).getroot()
        except (OSError, ElementTree.ParseError):
            continue
        for case in root.iter("testcase"):
            seen = True
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is None:
                passed += 1
    return (passed, failed) if seen else None


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("pytest", "junit"):
        print(__doc__, file=sys.stderr)
        return 64
    if argv[0] == "pytest":
        try:
            with open(argv[1], encoding="utf-8", errors="replace") as fh:
                counts = pytest_counts(fh.read())
        except OSError:
            counts = None
    else:
        counts = junit_counts(argv[1:])
    passed, failed = counts or (0, 0)
    print(passed, failed)
    return 0 if counts else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
