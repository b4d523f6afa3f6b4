"""Report formats: terminal progress lines and table, the exact JSON shape, JUnit XML (parsed back
and checked against the common Jenkins/Ant schema's structure), self-contained escaped HTML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ukid.check.cases import Result, Status
from ukid.check.report import (
    ReportInfo,
    html_report,
    json_report,
    junit_report,
    progress_lines,
    terminal_table,
)

HOSTILE = '<script>alert("x")</script> & \x1b[31m\x00'
RESULTS = [
    Result(
        "configuration.fetch",
        "Entity configuration is served",
        "OpenID Federation 1.0 §9",
        Status.PASS,
        "HTTP 200",
        "Serve it.",
        0.0123,
    ),
    Result(
        "chain.resolves",
        "Trust chain resolves",
        "OpenID Federation 1.0 §10",
        Status.FAIL,
        f"no chain {HOSTILE}",
        "Ask your superior.",
        0.5,
    ),
    Result(
        "chain.metadata_policy",
        "Metadata policy applies",
        "OpenID Federation 1.0 §6.1",
        Status.SKIP,
        "prerequisite chain.resolves failed",
        "Fix policy.",
        0.0,
        "chain.resolves",
    ),
]
INFO = ReportInfo(
    "ukid check entity", "https://rp.example", 1767225600.0, {"Trust anchor": "https://ta.example"}
)


def test_terminal_progress_line_per_case() -> None:
    assert progress_lines(1, RESULTS[0]) == ["[ 1] PASS  configuration.fetch: Entity configuration is served"]
    assert progress_lines(12, RESULTS[1]) == [
        "[12] FAIL  chain.resolves: Trust chain resolves",
        '       no chain <script>alert("x")</script> & ?[31m?',
        "       fix: Ask your superior.",
    ]
    assert progress_lines(3, RESULTS[2]) == [
        "[ 3] SKIP  chain.metadata_policy: Metadata policy applies",
        "       prerequisite chain.resolves failed",
    ]


def test_terminal_table() -> None:
    assert terminal_table(RESULTS) == [
        "STATUS  CASE                   SECTION",
        "PASS    configuration.fetch    OpenID Federation 1.0 §9",
        "FAIL    chain.resolves         OpenID Federation 1.0 §10",
        "SKIP    chain.metadata_policy  OpenID Federation 1.0 §6.1",
        "3 cases: 1 passed, 1 failed, 1 skipped",
    ]


def test_json_exact_shape() -> None:
    assert json_report(RESULTS[:1], INFO) == {
        "suite": "ukid check entity",
        "subject": "https://rp.example",
        "started_at": "2026-01-01T00:00:00Z",
        "details": {"Trust anchor": "https://ta.example"},
        "summary": {"total": 1, "passed": 1, "failed": 0, "skipped": 0},
        "cases": [
            {
                "id": "configuration.fetch",
                "title": "Entity configuration is served",
                "spec": "OpenID Federation 1.0 §9",
                "status": "PASS",
                "reason": "HTTP 200",
                "fix": "Serve it.",
                "seconds": 0.012,
            }
        ],
    }


def test_junit_one_testsuite_one_testcase_per_case() -> None:
    text = junit_report(RESULTS, INFO)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')
    root = ET.fromstring(text.encode())
    assert root.tag == "testsuites"
    assert {k: root.attrib[k] for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "3",
        "failures": "1",
        "errors": "0",
        "skipped": "1",
    }
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    assert suite.attrib["name"] == "ukid check entity https://rp.example"
    assert suite.attrib["timestamp"] == "2026-01-01T00:00:00"
    assert float(suite.attrib["time"]) == 0.512
    assert [child.tag for child in suite] == ["properties", "testcase", "testcase", "testcase"]
    props = {p.attrib["name"]: p.attrib["value"] for p in suite.find("properties") or []}
    assert props == {"subject": "https://rp.example", "Trust anchor": "https://ta.example"}
    passed, failed, skipped = suite.findall("testcase")
    assert passed.attrib == {
        "name": "configuration.fetch: Entity configuration is served",
        "classname": "ukid.check.entity",
        "time": "0.012",
    }
    assert [c.tag for c in passed] == ["system-out"]
    failure = failed.find("failure")
    assert failure is not None
    assert failure.attrib == {"message": 'no chain <script>alert("x")</script> & ?[31m?', "type": "FAIL"}
    assert failure.text == (
        'no chain <script>alert("x")</script> & ?[31m?\nSection: OpenID Federation 1.0 §10\nFix: Ask your superior.'
    )
    skip = skipped.find("skipped")
    assert skip is not None and skip.attrib == {"message": "prerequisite chain.resolves failed"}


def test_html_self_contained_and_escaped() -> None:
    page = html_report(RESULTS, INFO)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert "\x00" not in page and "\x1b" not in page
    assert "no chain &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in page
    assert "<style>" in page and "<link" not in page and "src=" not in page and "http-equiv" not in page
    assert "3 cases: 1 passed, 1 failed, 1 skipped" in page
    assert '<span class="status FAIL">FAIL</span>' in page
    assert "Fix: Ask your superior." in page
    assert page.count("Fix: ") == 1
