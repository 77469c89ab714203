"""The rule pages ``docs/rules/ACKnnn.md``, generated from the rule classes.

``python -m asyncheck.doors.rule_pages`` writes them (and the index ``docs/rules/README.md``)
in the repository holding this package's sources, or in ``--directory DIR``;
``--check`` changes nothing and exits 1 when a page is missing, stale or left over.
A page is the rule's metadata and its docstring: it cannot drift from the rule, since
``tests/test_rule_pages.py`` checks that every page is what this module writes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from asyncheck.app.registry import all_rules
from asyncheck.core.catalog import RULE_PAGE_PATH, rule_page_url
from asyncheck.lint.rule import Rule

#: The repository's ``docs/rules`` when running from a checkout (``src/asyncheck/doors``).
DEFAULT_DIRECTORY = Path(__file__).resolve().parents[3] / Path(RULE_PAGE_PATH).parent

_NOTICE = ("<!-- Generated from the rule class by `python -m asyncheck.doors.rule_pages`; "
           "edit the rule's docstring instead. -->")


_OFF = "off (turn it on with `extend-select`)"


def _source_path(rule: type[Rule]) -> str:
    return "src/" + rule.__module__.replace(".", "/") + ".py"


def page(rule: type[Rule]) -> str:
    """The Markdown page of one rule."""
    documentation = rule.documentation().strip()
    return "\n".join([
        _NOTICE,
        "",
        f"# {rule.code}: {rule.name}",
        "",
        f"{rule.summary()}",
        "",
        "| | |",
        "|---|---|",
        f"| code | `{rule.code}` |",
        f"| name | `{rule.name}` |",
        f"| default | {'on' if rule.default_enabled else _OFF} |",
        f"| fix | {'yes, with `--fix`' if rule.fixable else 'no'} |",
        f"| suppress | `# noqa: {rule.code}` or `# asyncheck: ignore[{rule.code}]` |",
        f"| source | [`{_source_path(rule)}`](../../{_source_path(rule)}) |",
        "",
        documentation,
        "",
    ])


def index(rules: Sequence[type[Rule]]) -> str:
    """The index page: every rule with its summary."""
    lines = [_NOTICE, "", "# asyncheck rules", "", "| code | name | default | fix | what it does |",
             "|---|---|---|---|---|"]
    for rule in rules:
        summary = rule.summary().replace("|", "\\|")
        lines.append(f"| [{rule.code}]({rule.code}.md) | {rule.name} | "
                     f"{'on' if rule.default_enabled else 'off'} | "
                     f"{'yes' if rule.fixable else ''} | {summary} |")
    return "\n".join(lines) + "\n"


def pages() -> dict[str, str]:
    """File name -> text of every generated page."""
    rules = list(all_rules().values())
    generated = {f"{rule.code}.md": page(rule) for rule in rules}
    generated["README.md"] = index(rules)
    return generated


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or ``--check``) the pages; the exit status says whether they were current."""
    parser = argparse.ArgumentParser(prog="python -m asyncheck.doors.rule_pages",
                                     description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--directory", type=Path, default=DEFAULT_DIRECTORY)
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a page is missing or out of date")
    args = parser.parse_args(argv)
    directory: Path = args.directory
    wanted = pages()
    existing = {p.name for p in directory.glob("*.md")} if directory.is_dir() else set()
    stale = sorted(name for name, text in wanted.items()
                   if not (directory / name).is_file()
                   or (directory / name).read_text(encoding="utf-8") != text)
    extra = sorted(existing - set(wanted))
    if args.check:
        for name in stale:
            print(f"{directory / name}: missing or out of date", file=sys.stderr)
        for name in extra:
            print(f"{directory / name}: no rule has this page", file=sys.stderr)
        return 1 if stale or extra else 0
    directory.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (directory / name).write_text(wanted[name], encoding="utf-8", newline="\n")
    for name in extra:
        (directory / name).unlink()
    print(f"{len(stale)} page(s) written, {len(extra)} removed in {directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
