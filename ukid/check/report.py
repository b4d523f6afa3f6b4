"""Reports of a ``ukid check`` run: terminal lines and table, JSON, JUnit XML and a self-contained HTML page.

Reasons quote remote text (an entity's error bodies, its metadata values), so every format makes
it safe for its medium: the terminal replaces non-printable characters, JUnit drops characters XML
1.0 cannot carry (and ElementTree escapes the rest), HTML escapes everything it prints.
"""

from __future__ import annotations

import html
import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ukid._format import iso_utc
from ukid.check.cases import Result, Status, summarise

__all__ = [
    "ReportInfo",
    "html_report",
    "json_report",
    "junit_report",
    "progress_lines",
    "summary_line",
    "terminal_table",
]

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class ReportInfo:
    """What was checked: the suite name, the subject, and details shown above the results."""

    suite: str
    subject: str
    started_at: float
    #: Shown as "name: value" lines (trust anchor, anchor keys, development federation...).
    details: Mapping[str, str] = field(default_factory=dict)


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def progress_lines(number: int, result: Result) -> list[str]:
    """The lines printed as a case finishes: status and case, then the reason (and fix) unless it passed."""
    lines = [f"[{number:>2}] {result.status.value}  {result.id}: {_printable(result.title)}"]
    if result.status is not Status.PASS:
        lines.append(f"       {_printable(result.reason)}")
    if result.status is Status.FAIL:
        lines.append(f"       fix: {_printable(result.fix)}")
    return lines


def summary_line(results: Sequence[Result]) -> str:
    """``N cases: P passed, F failed, S skipped``."""
    s = summarise(results)
    return f"{s.total} cases: {s.passed} passed, {s.failed} failed, {s.skipped} skipped"


def terminal_table(results: Sequence[Result]) -> list[str]:
    """A plain-text table: status, case, specification section; then the summary line."""
    rows = [("STATUS", "CASE", "SECTION")] + [
        (r.status.value, _printable(r.id), _printable(r.spec)) for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = [f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}".rstrip() for row in rows]
    return [*lines, summary_line(results)]


def json_report(results: Sequence[Result], info: ReportInfo) -> dict[str, Any]:
    """The run as JSON: ``suite, subject, started_at, details, summary{...}, cases[...]``."""
    s = summarise(results)
    return {
        "suite": info.suite,
        "subject": info.subject,
        "started_at": iso_utc(int(info.started_at)),
        "details": dict(info.details),
        "summary": {"total": s.total, "passed": s.passed, "failed": s.failed, "skipped": s.skipped},
        "cases": [
            {
                "id": r.id,
                "title": r.title,
                "spec": r.spec,
                "status": r.status.value,
                "reason": r.reason,
                "fix": r.fix,
                "seconds": round(r.seconds, 3),
            }
            for r in results
        ],
    }


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("?", text)


def junit_report(results: Sequence[Result], info: ReportInfo) -> str:
    """JUnit XML: ``<testsuites>`` with one ``<testsuite>``, one ``<testcase>`` per case, a
    ``<failure>`` for FAIL and a ``<skipped>`` for SKIP (the common Jenkins/Ant JUnit schema)."""
    s = summarise(results)
    seconds = f"{sum(r.seconds for r in results):.3f}"
    counts = {"tests": str(s.total), "failures": str(s.failed), "errors": "0", "skipped": str(s.skipped)}
    root = ET.Element("testsuites", {"name": _xml_text(info.suite), **counts, "time": seconds})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": _xml_text(f"{info.suite} {info.subject}"),
            **counts,
            "time": seconds,
            "timestamp": iso_utc(int(info.started_at)).removesuffix("Z"),
            "hostname": _xml_text(socket.gethostname() or "localhost"),
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in {"subject": info.subject, **info.details}.items():
        ET.SubElement(properties, "property", {"name": _xml_text(name), "value": _xml_text(value)})
    classname = info.suite.replace(" ", ".")
    for r in results:
        case = ET.SubElement(
            suite,
            "testcase",
            {"name": _xml_text(f"{r.id}: {r.title}"), "classname": classname, "time": f"{r.seconds:.3f}"},
        )
        if r.status is Status.FAIL:
            failure = ET.SubElement(case, "failure", {"message": _xml_text(r.reason), "type": "FAIL"})
            failure.text = _xml_text(f"{r.reason}\nSection: {r.spec}\nFix: {r.fix}")
        elif r.status is Status.SKIP:
            ET.SubElement(case, "skipped", {"message": _xml_text(r.reason)})
        else:
            out = ET.SubElement(case, "system-out")
            out.text = _xml_text(f"{r.reason}\nSection: {r.spec}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:2rem;color:#0b0c0c}
body{max-width:80rem}h1{font-size:1.6rem;margin-bottom:.25rem}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}
dt{font-weight:600}dd{margin:0;word-break:break-all}table{border-collapse:collapse;width:100%;margin-top:1rem}
th,td{border-bottom:1px solid #b1b4b6;padding:.45rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f2f1}td.reason{word-break:break-word}code{font-size:.9em}
.status{font-weight:700;padding:.1rem .45rem;border-radius:3px;color:#fff;display:inline-block}
.PASS{background:#00703c}.FAIL{background:#d4351c}.SKIP{background:#505a5f}
.summary{font-size:1.1rem;margin-top:1rem}.fix{color:#505a5f;margin-top:.3rem}
"""


def html_report(results: Sequence[Result], info: ReportInfo) -> str:
    """A self-contained HTML page (inline CSS, no scripts, no external assets); all text escaped."""

    def e(text: str) -> str:
        return html.escape(_printable(text))

    details = "".join(
        f"<dt>{e(name)}</dt><dd>{e(value)}</dd>"
        for name, value in {
            "Subject": info.subject,
            "Started": iso_utc(int(info.started_at)),
            **info.details,
        }.items()
    )
    rows = []
    for r in results:
        fix = f'<div class="fix">Fix: {e(r.fix)}</div>' if r.status is Status.FAIL else ""
        rows.append(
            f'<tr><td><span class="status {r.status.value}">{r.status.value}</span></td>'
            f"<td><code>{e(r.id)}</code><br>{e(r.title)}</td><td>{e(r.spec)}</td>"
            f'<td class="reason">{e(r.reason)}{fix}</td></tr>'
        )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(info.suite)}: {e(info.subject)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{e(info.suite)}</h1>\n<dl>{details}</dl>\n"
        f'<p class="summary">{e(summary_line(results))}</p>\n'
        "<table>\n<thead><tr><th>Status</th><th>Case</th><th>Section</th><th>Detail</th></tr></thead>\n"
        f"<tbody>\n{chr(10).join(rows)}\n</tbody>\n</table>\n</body>\n</html>\n"
    )
