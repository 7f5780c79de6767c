"""CI's check of the two test passes' JUnit reports (.ci/run): every collected test ran
and passed (a skip is a hole: CI has MariaDB, Redis and Chromium), each pass ran at
least one test, and the end-to-end checks that must never go missing did run: the
browser tests, the generated client, the CORS preflight and the Redis fault tests.

    python scripts/ci_junit_check.py sqlite.xml mariadb.xml
"""

import sys
import xml.etree.ElementTree as ET

# (what, a test id prefix): at least one test of each must have run and passed.
REQUIRED = (
    ("the browser tests", "core.tests.test_browser."),
    ("the browser tests of the admin", "core.tests.test_browser_admin."),
    ("the generated client", "core.tests.test_generated_client."),
    ("the CORS preflight in a browser", "core.tests.test_cors_browser."),
    ("the Redis fault tests", "core.tests.test_faults.test_fault_redis"),
    ("the Friday night at the counter and the door", "boxoffice.tests.test_browser."),
    ("the door screen in a browser", "tickets.tests.test_door_browser."),
    ("a screening cancelled in a browser", "core.tests.test_browser_cancel_screening."),
    ("a screening's cancel racing bookings", "payments.tests.test_showtime_cancel_race."),
    ("the counter racing online buyers", "boxoffice.tests.test_concurrency."),
    ("the role matrix", "users.tests.test_role_matrix."),
    ("a day at the cinema", "payments.tests.test_a_day_at_the_cinema."),
    ("a day at the till in a browser", "boxoffice.tests.test_browser_day."),
)


def outcomes(path: str) -> dict[str, str]:
    """Test id -> passed / skipped / failed, for every test case of the report."""
    result = {}
    for case in ET.parse(path).iter("testcase"):  # noqa: S314 (our own pytest's report)
        test_id = f"{case.get('classname')}.{case.get('name')}"
        kinds = {child.tag for child in case}
        if kinds & {"failure", "error"}:
            result[test_id] = "failed"
        elif "skipped" in kinds:
            result[test_id] = "skipped"
        else:
            result[test_id] = "passed"
    return result


def main(paths: list[str]) -> int:
    problems = []
    seen: dict[str, str] = {}
    for path in paths:
        ran = outcomes(path)
        counts = {kind: list(ran.values()).count(kind) for kind in ("passed", "skipped", "failed")}
        print(
            f"{path}: {counts['passed']} passed, {counts['skipped']} skipped, {counts['failed']} failed"
        )
        if not ran:
            problems.append(f"{path}: no test ran")
        problems += [
            f"{path}: {test_id} {kind}" for test_id, kind in ran.items() if kind != "passed"
        ]
        twice = seen.keys() & ran.keys()
        problems += [f"ran in two passes: {test_id}" for test_id in sorted(twice)]
        seen.update(ran)
    for what, prefix in REQUIRED:
        if not any(t.startswith(prefix) and kind == "passed" for t, kind in seen.items()):
            problems.append(f"{what} did not run and pass ({prefix}*)")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
