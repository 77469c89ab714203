"""``--format junit``: JUnit XML, which most CI systems show as test results.

One ``testsuite`` named ``asyncheck``; one ``testcase`` per finding, with a ``failure``
(type: the code; message: the message), and one passing ``testcase`` per checked file
without findings, so a clean run shows as passed tests rather than as none.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from asyncheck.doors.reporters.options import ReportOptions
from asyncheck.doors.reporters.printable import printable

if TYPE_CHECKING:
    from asyncheck.app.runner import RunResult


def render(result: RunResult, options: ReportOptions) -> str:
    """The JUnit XML report (control characters escaped: XML 1.0 cannot hold them)."""
    failures = len(result.diagnostics)
    with_findings = {d.path for d in result.diagnostics}
    clean = sorted(set(result.paths_checked) - with_findings)
    tests = failures + len(clean)
    suites = ET.Element("testsuites", name="asyncheck", tests=str(tests),
                        failures=str(failures), errors="0")
    suite = ET.SubElement(suites, "testsuite", name="asyncheck", tests=str(tests),
                          failures=str(failures), errors="0", skipped="0")
    for d in result.diagnostics:
        path = printable(d.path)
        case = ET.SubElement(suite, "testcase", name=f"{d.code} {path}:{d.line}:{d.column}",
                             classname=path, file=path, line=str(d.line))
        failure = ET.SubElement(case, "failure", type=d.code, message=printable(d.message))
        failure.text = f"{path}:{d.line}:{d.column}: {d.code} {printable(d.message)}"
    for path in clean:
        ET.SubElement(suite, "testcase", name=printable(path), classname=printable(path),
                      file=printable(path))
    ET.indent(suites)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(suites, encoding="unicode") + "\n")
