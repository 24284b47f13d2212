"""The CI summary adds up what each test runner reported (.ci/counts.py)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("ci_counts", ROOT / ".ci" / "counts.py")
counts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(counts)


def test_pytest_summary_counts_errors_as_failed_and_ignores_skips():
    log = (
        "tests/x.py::test_a PASSED\n"
        "=== short test summary info ===\n"
        "FAILED tests/x.py::test_b - assert 1 == 2\n"
        "\x1b[31m===== 2 failed, 1530 passed, 7 skipped, 2 xfailed, 1 error "
        "in 95.12s (0:01:35) =====\x1b[0m\n"
    )

    assert counts.pytest_counts(log) == (1530, 3)


def test_pytest_summary_uses_the_last_summary_line():
    log = "===== 1 passed in 0.1s =====\nother\n===== 4 passed in 2.00s =====\n"

    assert counts.pytest_counts(log) == (4, 0)


def test_pytest_without_a_summary_is_unknown():
    assert counts.pytest_counts("ImportError: no module named shop\n") is None


def test_junit_counts_test_cases_over_several_reports(tmp_path):
    report = (
        '<testsuites><testsuite name="schemathesis">'
        '<testcase name="GET /a"/>'
        '<testcase name="GET /b"><failure type="failure">5xx</failure></testcase>'
        '<testcase name="GET /c"><error type="error">boom</error></testcase>'
        '<testcase name="GET /d"><skipped type="skipped">no</skipped></testcase>'
        "</testsuite></testsuites>"
    )
    (tmp_path / "customer.xml").write_text(report)
    (tmp_path / "staff.xml").write_text(report)

    paths = [str(tmp_path / "customer.xml"), str(tmp_path / "staff.xml")]
    assert counts.junit_counts(paths) == (2, 4)
    assert counts.junit_counts([str(tmp_path / "missing.xml")]) is None


def test_pytest_quiet_summary_and_no_tests():
    assert counts.pytest_counts("...\n11 passed in 0.20s\n") == (11, 0)
    assert counts.pytest_counts("===== no tests ran in 0.01s =====\n") == (0, 0)
