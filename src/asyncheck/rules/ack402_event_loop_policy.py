"""ACK402 event-loop-policy."""

from __future__ import annotations

import libcst as cst

from asyncheck.lint import FileContext, Invalid, Rule, Valid
from asyncheck.semantics.event_loop import POLICY_FUNCTIONS, is_event_loop_policy_name

_POLICY_SUFFIX = "EventLoopPolicy"
_POLICY_FUNCTION_NAMES = frozenset(name.rpartition(".")[2] for name in POLICY_FUNCTIONS)


class EventLoopPolicy(Rule):
    """
    ## What it does
    Reports uses of the event-loop policy API: calls of `asyncio.set_event_loop_policy` and
    `asyncio.get_event_loop_policy`, and every reference to an `*EventLoopPolicy` class of
    `asyncio` (`DefaultEventLoopPolicy`, `AbstractEventLoopPolicy`, the Windows
    `WindowsSelectorEventLoopPolicy` and `WindowsProactorEventLoopPolicy`) or
    `uvloop.EventLoopPolicy`, however they were imported.  A policy class passed to
    `set_event_loop_policy(...)` is reported once, with the call.

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
        "3.16: use `asyncio.run(main(), loop_factory=asyncio.SelectorEventLoop)`"
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
            self.report(node, what=shown)

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
            self.report(node, what=qualname)

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
    ]
