"""ACK402 event-loop-policy."""

from __future__ import annotations

import libcst as cst

from asyncheck.lint import FileContext, Invalid, Rule, Valid
from asyncheck.semantics.event_loop import (
    POLICY_FUNCTIONS,
    is_event_loop_policy_name,
    silences_deprecation_warnings,
    version_ceiling,
)

_POLICY_SUFFIX = "EventLoopPolicy"
_POLICY_FUNCTION_NAMES = frozenset(name.rpartition(".")[2] for name in POLICY_FUNCTIONS)
#: The policy system is deprecated from this version on, and gone from the next.
_DEPRECATED_IN = (3, 14)
_REMOVED_IN = (3, 16)
#: ``asyncio.run(..., loop_factory=)`` exists from 3.12, ``asyncio.Runner`` from 3.11.
_RUN_LOOP_FACTORY = (3, 12)
_RUNNER = (3, 11)


class EventLoopPolicy(Rule):
    """
    ## What it does
    Reports uses of the event-loop policy API: calls of `asyncio.set_event_loop_policy` and
    `asyncio.get_event_loop_policy`, and every reference to an `*EventLoopPolicy` class of
    `asyncio` (`DefaultEventLoopPolicy`, `AbstractEventLoopPolicy`, the Windows
    `WindowsSelectorEventLoopPolicy` and `WindowsProactorEventLoopPolicy`) or
    `uvloop.EventLoopPolicy`, however they were imported.  A policy class passed to
    `set_event_loop_policy(...)` is reported once, with the call, and a statement once
    however many names it holds; an `if` that reads the policy to decide whether to replace
    it is one finding with what its body does.

    Not reported under a version gate that keeps it off Python 3.14 and later
    (`if sys.version_info < (3, 14):`, the `else` of a `>=` test), in a project whose
    `requires-python` excludes 3.14, or inside `warnings.catch_warnings()` that ignores
    `DeprecationWarning` in a project whose `requires-python` excludes 3.16, where the API
    is still there.  The way out named fits the oldest Python the project supports
    (`requires-python`, or `target-version` in `[tool.asyncheck]`): `loop_factory` of
    `asyncio.run` needs 3.12, `asyncio.Runner` 3.11.

    ## Why is this bad?
    The policy system is deprecated in Python 3.14 and will be removed in 3.16.  The usual
    reason for it is the Windows work-around copied from answers about
    `RuntimeError: Event loop is closed` with the Proactor loop; it changes the loop for the
    whole process, for every library in it, and it will stop working on a future Python.

    ## Example
    ```python
    import asyncio
    import sys

    if sys.platform == "win32":
        asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())
    asyncio.run(main())
    ```

    ## Use instead
    ```python
    import asyncio
    import sys

    if sys.platform == "win32":
        asyncio.run(main(), loop_factory=asyncio.SelectorEventLoop)
    else:
        asyncio.run(main())
    ```
    `asyncio.Runner(loop_factory=...)` takes the same argument (Python 3.11+); uvloop users
    pass `loop_factory=uvloop.new_event_loop`.
    """

    code = "ACK402"
    name = "event-loop-policy"
    # Every finding names a policy function or class (an alias is imported by its name).
    TRIGGERS = ("event_loop_policy", _POLICY_SUFFIX)
    message = (
        "`{what}` uses the event-loop policy system, deprecated in Python 3.14 and removed in "
        "3.16: use {way_out}"
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        # asyncio's and uvloop's own modules implement the API rather than use it.
        self._implements_api = context.module_name.split(".")[0] in ("asyncio", "uvloop")
        # Policy calls being visited: a policy class inside their arguments is part of the
        # same finding, not a second one.
        self._reported_calls: list[cst.Call] = []
        # Import statements name the API without using it; their names are not reported.
        self._imports: list[cst.CSTNode] = []
        # Names a policy class is imported as (`... import WindowsSelectorEventLoopPolicy as
        # Sel`): with the class names themselves, the only names worth resolving.
        self._policy_aliases: set[str] = set()
        # One cause, one finding: the statements reported, and the `if` statements whose
        # test reads the policy (what their body does about it is the same finding).
        self._reported_statements: set[int] = set()
        settings = context.settings
        below = settings.python_below
        # A project that does not support 3.14 never meets the deprecation.
        self._unsupported = below is not None and below <= _DEPRECATED_IN
        # A project that stops before 3.16 keeps the API; only the warning is left.
        self._kept_api = below is not None and below <= _REMOVED_IN
        self._way_out = _way_out(settings.target_version)

    def visit_Import(self, node: cst.Import) -> None:
        self._imports.append(node)

    def leave_Import(self, original_node: cst.Import) -> None:
        self._imports.pop()

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._imports.append(node)
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                if alias.evaluated_name.endswith(_POLICY_SUFFIX):
                    self._policy_aliases.add(alias.asname.name.value)

    def leave_ImportFrom(self, original_node: cst.ImportFrom) -> None:
        self._imports.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if self._reported_calls or self._implements_api:
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value not in _POLICY_FUNCTION_NAMES:
            return
        qualname = self.context.qualified_name(func)
        if qualname in POLICY_FUNCTIONS:
            self._reported_calls.append(node)
            # Show the policy passed in (the Windows work-around says what it is for).
            shown = self.context.module.code_for_node(node)
            if len(shown) > 100 or "\n" in shown:
                shown = f"{qualname}(...)"
            self._report(node, shown)

    def leave_Call(self, original_node: cst.Call) -> None:
        if self._reported_calls and self._reported_calls[-1] is original_node:
            self._reported_calls.pop()

    def visit_Name(self, node: cst.Name) -> None:
        # Resolving every name of a file is costly; only these can be a policy class.  (Tested
        # first: this runs for every name of every file.)
        if not (node.value.endswith(_POLICY_SUFFIX) or node.value in self._policy_aliases):
            return
        parent = self.context.parent()
        # `x.WindowsSelectorEventLoopPolicy`'s attribute is judged as the whole Attribute.
        if isinstance(parent, cst.Attribute) and parent.attr is node:
            return
        # The name of a `class`/`def` statement defines the API (asyncio's own source).
        if isinstance(parent, (cst.ClassDef, cst.FunctionDef)) and parent.name is node:
            return
        self._check_reference(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value.endswith(_POLICY_SUFFIX):
            self._check_reference(node)

    def _check_reference(self, node: cst.Name | cst.Attribute) -> None:
        if self._reported_calls or self._imports or self._implements_api:
            return
        qualname = self.context.qualified_name(node)
        # Policy functions are reported where they are called (visit_Call).
        if qualname is None or qualname in POLICY_FUNCTIONS:
            return
        if is_event_loop_policy_name(qualname):
            self._report(node, qualname)

    def _report(self, node: cst.CSTNode, what: str) -> None:
        """Report unless the code already handles the deprecation, or the same statement (or
        the `if` that reads the policy to decide it) was reported."""
        context = self.context
        if self._unsupported:
            return
        ceiling = version_ceiling(context)
        if ceiling is not None and ceiling <= _DEPRECATED_IN:
            return  # a gate: only runs where the policy API is not deprecated
        if self._kept_api and silences_deprecation_warnings(context):
            return  # knowingly used, on Pythons that all still have it
        statement = context.current_statement()
        if statement is None:
            return
        stack = context.stack
        for index in range(len(stack) - 1, 0, -1):
            parent = stack[index - 1]
            if (id(parent) in self._reported_statements and isinstance(parent, cst.If)
                    and stack[index] is parent.body):
                return
        if id(statement) in self._reported_statements:
            return
        self._reported_statements.add(id(statement))
        self.report(node, what=what, way_out=self._way_out)

    VALID = [
        Valid(
            "import asyncio\nimport sys\n\nasync def main():\n    ...\n\n"
            "if __name__ == '__main__':\n"
            "    if sys.platform == 'win32':\n"
            "        asyncio.run(main(), loop_factory=asyncio.SelectorEventLoop)\n"
            "    else:\n        asyncio.run(main())\n"
        ),
        Valid(
            "import asyncio\nimport uvloop\n\nasync def serve():\n    ...\n\n"
            "with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:\n"
            "    runner.run(serve())\n"
        ),
        # A project class that merely has a similar name is not asyncio's policy API.
        Valid(
            "class RetryPolicy:\n    pass\n\n"
            "class CustomEventLoopPolicy:\n    def set_event_loop_policy(self, policy):\n"
            "        self.policy = policy\n\n"
            "CustomEventLoopPolicy().set_event_loop_policy(RetryPolicy())\n"
        ),
        # asyncio's own modules define the policy API.
        Valid(
            "from . import events\n\nclass _UnixDefaultEventLoopPolicy(events.BaseDefaultEventLoopPolicy):\n"
            "    _loop_factory = None\n",
            filename="asyncio/unix_events.py",
        ),
        # Importing names is not using them.
        Valid("from asyncio import DefaultEventLoopPolicy  # re-exported for plugins\n"),
        # Version gates: the policy is only touched where it is not deprecated.
        Valid(
            "import asyncio\nimport sys\n\ndef main():\n"
            "    # the Proactor loop is the default on Windows; policies go in 3.16\n"
            "    if sys.platform == 'win32' and sys.version_info < (3, 14):\n"
            "        asyncio.set_event_loop_policy(asyncio.WindowsProactorEventLoopPolicy())\n"
            "    asyncio.run(serve())\n\nasync def serve():\n    ...\n"
        ),
        Valid(
            "import asyncio\nimport sys\nimport uvloop\n\ndef start(main):\n"
            "    if sys.version_info >= (3, 12):\n"
            "        return asyncio.run(main(), loop_factory=uvloop.new_event_loop)\n"
            "    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())\n"
            "    return asyncio.run(main())\n"
        ),
        # A project that does not support Python 3.14 (requires-python = "<3.14").
        Valid(
            "import asyncio\n\nasyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())\n",
            options={"python_below": (3, 14)},
        ),
        # The deprecation silenced on purpose, in a project that stops before 3.16 removes it.
        Valid(
            "import asyncio\nimport warnings\n\ndef policy_loop():\n"
            "    with warnings.catch_warnings():\n"
            "        warnings.simplefilter('ignore', DeprecationWarning)\n"
            "        return asyncio.get_event_loop_policy().get_event_loop()\n",
            options={"python_below": (3, 16)},
        ),
    ]
    INVALID = [
        Invalid(
            "import asyncio\nimport sys\n\nasync def main():\n    ...\n\n"
            "if sys.platform.startswith('win'):\n"
            "    asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())\n"
            "asyncio.run(main())\n",
            line=8, column=5,
            message_contains="`asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())` "
            "uses the event-loop policy system, deprecated in Python 3.14 and removed in 3.16: "
            "use `asyncio.run(main(), loop_factory=asyncio.SelectorEventLoop)`",
        ),
        Invalid(
            "import asyncio\n\npolicy = asyncio.get_event_loop_policy()\n"
            "loop = policy.new_event_loop()\n",
            line=3, message_contains="`asyncio.get_event_loop_policy()`",
        ),
        Invalid(
            "from asyncio import WindowsProactorEventLoopPolicy as Proactor, set_event_loop_policy\n\n"
            "def configure():\n    policy = Proactor()\n    set_event_loop_policy(policy)\n",
            line=4, count=2, message_contains="asyncio.WindowsProactorEventLoopPolicy",
        ),
        Invalid(
            "import asyncio\n\nclass QuietPolicy(asyncio.DefaultEventLoopPolicy):\n"
            "    def new_event_loop(self):\n        loop = super().new_event_loop()\n"
            "        loop.set_debug(False)\n        return loop\n",
            line=3, message_contains="asyncio.DefaultEventLoopPolicy",
        ),
        Invalid(
            "import asyncio\nimport uvloop\n\nasyncio.set_event_loop_policy(uvloop.EventLoopPolicy())\n",
            line=4,
        ),
        # Silenced, but nothing says the project stops before 3.16, where the call fails.
        Invalid(
            "import asyncio\nimport warnings\n\ndef policy_loop():\n"
            "    with warnings.catch_warnings():\n"
            "        warnings.simplefilter('ignore', DeprecationWarning)\n"
            "        return asyncio.get_event_loop_policy().get_event_loop()\n",
            line=7,
        ),
        # A gate that still lets 3.14 and 3.15 run it.
        Invalid(
            "import asyncio\nimport sys\n\nif sys.version_info < (3, 16):\n"
            "    asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())\n",
            line=5,
        ),
        # Reading the policy to decide whether to replace it: one decision, one finding.
        Invalid(
            "import asyncio\nimport sys\n\ndef prefer_selector():\n"
            "    if sys.platform.startswith('win'):\n"
            "        if type(asyncio.get_event_loop_policy()) is asyncio.WindowsProactorEventLoopPolicy:\n"
            "            asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())\n",
            line=6, count=1, message_contains="`asyncio.get_event_loop_policy()`",
        ),
        # The way out fits the oldest Python the project supports.
        Invalid(
            "import asyncio\n\nasyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())\n",
            line=3, options={"target_version": (3, 11)}, message_contains="`asyncio.Runner(",
        ),
        Invalid(
            "import asyncio\n\nasyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())\n",
            line=3, options={"target_version": (3, 9)},
            message_contains="the project supports 3.9, which has no loop factory",
        ),
    ]


def _way_out(target: tuple[int, int] | None) -> str:
    """The replacement that works on the oldest Python the project supports."""
    if target is None or target >= _RUN_LOOP_FACTORY:
        return "`asyncio.run(main(), loop_factory=asyncio.SelectorEventLoop)`"
    if target >= _RUNNER:
        return ("`asyncio.Runner(loop_factory=asyncio.SelectorEventLoop)` (`asyncio.run` takes "
                "`loop_factory` from Python 3.12, and the project supports 3.11)")
    return (f"`asyncio.run(main(), loop_factory=asyncio.SelectorEventLoop)` from Python 3.12; "
            f"the project supports {target[0]}.{target[1]}, which has no loop factory: keep the "
            "policy for older versions under `if sys.version_info < (3, 12):`")
