"""The benchmark scripts' argument handling, table and real-world report (no timings asserted)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH_DIR = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH_DIR))
    return importlib.import_module("bench")


@pytest.fixture
def realworld(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH_DIR))
    return importlib.import_module("realworld")


def test_defaults(bench: ModuleType) -> None:
    settings = bench.parse_args([])
    assert (settings.corpus, settings.runs, settings.bound) == ("both", 3, 300.0)
    assert settings.skip == frozenset()
    assert settings.asyncheck_args == ["--select", "ALL"]


def test_options_are_read(bench: ModuleType) -> None:
    settings = bench.parse_args(["--corpus", "stdlib", "--runs", "5", "--bound", "30",
                                 "--skip", "flake8,warm", "--asyncheck", "python -m asyncheck",
                                 "--asyncheck-args", ""])
    assert (settings.corpus, settings.runs, settings.bound) == ("stdlib", 5, 30.0)
    assert settings.skip == {"flake8", "warm"}
    assert settings.asyncheck == ["python", "-m", "asyncheck"]
    assert settings.asyncheck_args == []


@pytest.mark.parametrize("argv", [
    ["--runs", "0"], ["--runs", "two"], ["--bound", "0"], ["--bound", "-5"],
    ["--skip", "flake8,pylint"], ["--corpus", "django"],
])
def test_bad_options_exit_2(bench: ModuleType, argv: list[str],
                            capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_cache_option_detected_from_help(bench: ModuleType) -> None:
    with_cache = "  --jobs N  Worker processes.\n  --no-cache  Do not read or write the cache.\n"
    without = "  --select CODES  Rule codes.\n  --color / --no-color  Colour.\n"
    assert {"--no-cache", "--jobs"} <= bench.cli_options(with_cache)
    options = bench.cli_options(without)
    assert "--no-cache" not in options
    assert {"--select", "--color", "--no-color"} <= options


def test_table_shows_timeouts_unavailable_peers_and_ratios(bench: ModuleType) -> None:
    cold = bench.Row("asyncheck cold", "stdlib", 10, 1000, times=[2.0, 4.0, 3.0],
                     cpu_times=[3.0], max_rss_kb=204800, tree_rss_kb=307200)
    warm = bench.Row("asyncheck warm", "stdlib", 10, 1000, times=[0.5])
    ruff = bench.Row("ruff", "stdlib", 10, 1000, times=[0.3])
    flake8 = bench.Row("flake8", "stdlib", 10, 1000, timed_out_after=300.0)
    missing = bench.Row("flake8", "async-libs", 5, 500, unavailable="unavailable: not installed")
    table = bench.format_table([cold, warm, ruff, flake8, missing]).splitlines()
    assert len(table) == 7
    assert "| 3.00 | 200 / 300 | 3.00 |" in table[2]  # median of 2, 4, 3; memory in MB
    assert "| 0.30 | " in table[4] and "| 0.1x | 0.6x |" in table[4]
    assert "| > 300 |" in table[5] and "> 100.0x" in table[5]
    assert "unavailable: not installed" in table[6]


def test_run_once_kills_at_the_bound_and_reports_exit_status(bench: ModuleType,
                                                             tmp_path: Path) -> None:
    slow = bench.run_once([sys.executable, "-c", "import time; time.sleep(60)"], tmp_path, 0.5)
    assert slow.timed_out and slow.returncode is None
    failing = bench.run_once([sys.executable, "-c", "import sys; sys.exit(3)"], tmp_path, 60)
    assert not failing.timed_out and failing.returncode == 3
    assert failing.max_rss_kb > 0


def test_reason_groups_blank_positions(realworld: ModuleType) -> None:
    first = realworld.reason_group("cannot parse: Syntax Error @ 3:7. tokenizer error: 'x'")
    second = realworld.reason_group("cannot parse: Syntax Error @ 12:1. tokenizer error: 'yy'")
    assert first == second


def test_realworld_reports_findings_ack000_and_coverage(realworld: ModuleType, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    corpora = importlib.import_module("corpora")
    root = tmp_path / "mini"
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text(corpora.CORPUS_PYPROJECT, encoding="utf-8")
    (root / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (root / "pkg" / "worker.py").write_text(
        "import time\n\n\nasync def poll(client):\n    while True:\n"
        "        await client.refresh()\n        time.sleep(5)\n", encoding="utf-8")
    (root / "pkg" / "broken.py").write_text("def f(:\n    pass\n", encoding="utf-8")
    monkeypatch.setattr(realworld, "CORPUS_ROOT", tmp_path)
    corpus = corpora.Corpus("mini", root, 3, 10)
    command = realworld.asyncheck_command(None)
    report = realworld.check_corpus(corpus, command, frozenset())
    assert report.crash is None
    assert report.coverage_problem is None and report.unaccounted == []
    assert [d["path"] for d in report.unparsable] == ["pkg/broken.py"]
    assert ("ACK200", "pkg/worker.py", 7) in {(d["code"], d["path"], d["line"])
                                              for d in report.diagnostics}
    assert not report.failed
    text = realworld.format_report(report)
    assert "| ACK200 | blocking-sleep | 1 | 1 | pkg 1 |" in text
    assert "pkg/broken.py; 0 compile with this Python)" in text


def test_flake8_plugin_failure_names_the_file(bench: ModuleType) -> None:
    # flake8 prints this on standard output and stops the whole run (exit 1).
    output = ('3 ASYNC100 ...\n./test/typinganndata/ann_module.py: "flake8-async[ASY]" failed '
              "during execution due to ParserSyntaxError('parser error: error at 25:8')\n"
              "Run flake8 with greater verbosity to see more details\n")
    found = bench._PLUGIN_FAILED.search(output)
    assert found is not None and found.group("path") == "./test/typinganndata/ann_module.py"
    assert bench._PLUGIN_FAILED.search("./a.py:1:1: ASYNC100 with trio.fail_after\n") is None
