"""Reads irctest's JUnit report and checks it against the tests expected to pass.

    python3 results.py REPORT.xml                 # passed / failed / skipped per module
    python3 results.py REPORT.xml --check FILE    # and fail (exit 1) if a test in FILE did not pass
    python3 results.py REPORT.xml --passed        # the ids of the tests that passed, for FILE
    python3 results.py REPORT.xml --list failed   # each failed test with its message (or skipped)

A test's id is its module under irctest/server_tests and its name, as
``who.WhoTestCase.testWhoNickNotExists`` or ``buffering.BufferingTestCase.testNoTags[whole-colon]``.
"""

from __future__ import annotations

import argparse
import collections
import sys
import xml.etree.ElementTree as ET
from typing import Dict, List, Tuple

PREFIX = "irctest.server_tests."


def outcomes(report: str) -> List[Tuple[str, str, str, str]]:
    """(module, test id, outcome, message) for every test case in the report."""
    found = []
    for case in ET.parse(report).getroot().iter("testcase"):
        classname = case.get("classname", "")
        module_and_class = classname[len(PREFIX) :] if classname.startswith(PREFIX) else classname
        module = module_and_class.rsplit(".", 1)[0]
        test_id = f"{module_and_class}.{case.get('name')}"
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome, message = "failed", child.get("message") or ""
            elif child.tag == "skipped":
                outcome, message = "skipped", child.get("message") or ""
        found.append((module, test_id, outcome, " ".join(message.split())))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report")
    parser.add_argument("--check", metavar="FILE", help="tests that must pass, one id a line")
    parser.add_argument("--passed", action="store_true", help="print the ids of passed tests")
    parser.add_argument("--list", choices=["passed", "failed", "skipped"])
    args = parser.parse_args()
    found = outcomes(args.report)

    if args.passed:
        for _, test_id, outcome, _ in sorted(found):
            if outcome == "passed":
                print(test_id)
        return 0
    if args.list:
        for module, test_id, outcome, message in sorted(found):
            if outcome == args.list:
                print(f"{test_id} | {message[:200]}")
        return 0

    per_module: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for module, _, outcome, _ in found:
        per_module[module][outcome] += 1
    total: collections.Counter = collections.Counter()
    print(f"{'module':32} {'passed':>6} {'failed':>6} {'skipped':>7}")
    for module in sorted(per_module):
        counts = per_module[module]
        total.update(counts)
        print(f"{module:32} {counts['passed']:6} {counts['failed']:6} {counts['skipped']:7}")
    print(f"{'total':32} {total['passed']:6} {total['failed']:6} {total['skipped']:7}")

    if not args.check:
        return 0
    with open(args.check, encoding="utf-8") as f:
        expected = {line.strip() for line in f if line.strip() and not line.startswith("#")}
    passed = {test_id for _, test_id, outcome, _ in found if outcome == "passed"}
    ran = {test_id for _, test_id, _, _ in found}
    lost = sorted(expected - passed)
    new = sorted(passed - expected)
    for test_id in new:
        print(f"passes now, not yet in {args.check}: {test_id}")
    for test_id in lost:
        why = "did not run" if test_id not in ran else "did not pass"
        print(f"REGRESSION: {test_id} {why}", file=sys.stderr)
    print(f"irctest: {len(expected) - len(lost)} of {len(expected)} expected passes passed")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
