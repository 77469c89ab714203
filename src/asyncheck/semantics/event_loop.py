"""What the event-loop and cancellation rules (ACK4xx, ACK500) share.

Which expressions are event loops, which names are the loop-policy API, which constructors
open HTTP sessions, which exception types catch cancellation, and small tree walks that stay
inside one function body (a nested ``def``, ``lambda`` or class body runs at another time).
"""

from __future__ import annotations

import libcst as cst

from asyncheck.semantics.model import SemanticModel
from asyncheck.semantics.names import dotted_name
from asyncheck.syntax.walk import NESTED_SCOPES, walk_body

#: A Python version as ``(major, minor)``.
PythonVersion = tuple[int, int]

#: Qualified types whose objects are event loops (the resolver reports
#: ``asyncio.AbstractEventLoop`` for ``get_event_loop``/``new_event_loop``/``get_running_loop``;
#: annotations may name the concrete classes).
EVENT_LOOP_TYPES: frozenset[str] = frozenset({
    "asyncio.AbstractEventLoop",
    "asyncio.events.AbstractEventLoop",
    "asyncio.BaseEventLoop",
    "asyncio.base_events.BaseEventLoop",
    "asyncio.SelectorEventLoop",
    "asyncio.ProactorEventLoop",
    "asyncio.unix_events.SelectorEventLoop",
    "asyncio.windows_events.ProactorEventLoop",
    "uvloop.Loop",
})

#: Names a variable or attribute holding an event loop conventionally has.  The SPEC tracks
#: "a name ``loop``"; ``self.loop``/``self._loop`` are the same convention on an object.
LOOP_NAMES: frozenset[str] = frozenset({"loop", "_loop"})

#: Functions that start an event loop and run it to completion in the calling thread.
LOOP_RUNNERS: frozenset[str] = frozenset({
    "asyncio.run",
    "asyncio.runners.run",
    "asyncio.Runner.run",
    "asyncio.runners.Runner.run",
})

#: Event-loop methods that block the calling thread running the loop.
LOOP_RUN_METHODS: frozenset[str] = frozenset({"run_until_complete", "run_forever"})

#: Calls that tell whether a loop is running in this thread: a sync helper that makes one
#: before starting a loop (``try: asyncio.get_running_loop() except RuntimeError:
#: asyncio.run(...)``, ``if loop.is_running(): ...``) chooses what to do when called from
#: a coroutine.  ``nest_asyncio.apply()`` makes nested runs work on purpose.
RUNNING_LOOP_CHECKS: frozenset[str] = frozenset({
    "asyncio.get_running_loop",
    "asyncio._get_running_loop",
    "asyncio.events.get_running_loop",
    "asyncio.events._get_running_loop",
    "sniffio.current_async_library",
    "nest_asyncio.apply",
    *(f"{loop_type}.is_running" for loop_type in EVENT_LOOP_TYPES),
})


def loop_run_call(calls: tuple[str, ...]) -> str | None:
    """The first call among qualified names ``calls`` that runs an event loop in the calling
    thread (``asyncio.run``, ``loop.run_until_complete`` of a loop of known type), or None."""
    for call in calls:
        if call in LOOP_RUNNERS:
            return call
        owner, _, method = call.rpartition(".")
        if method in LOOP_RUN_METHODS and owner in EVENT_LOOP_TYPES:
            return call
    return None


#: ``asyncio.get_event_loop`` under the names it is importable as.
GET_EVENT_LOOP: frozenset[str] = frozenset({"asyncio.get_event_loop", "asyncio.events.get_event_loop"})

#: The loop-policy functions deprecated by Python 3.14 (the ``*EventLoopPolicy`` classes are
#: matched by name, see :func:`is_event_loop_policy_name`).
POLICY_FUNCTIONS: frozenset[str] = frozenset({
    "asyncio.set_event_loop_policy",
    "asyncio.get_event_loop_policy",
    "asyncio.events.set_event_loop_policy",
    "asyncio.events.get_event_loop_policy",
})

#: Constructors of HTTP client sessions and connectors that own sockets until closed.
SESSION_CONSTRUCTORS: frozenset[str] = frozenset({
    "aiohttp.ClientSession",
    "aiohttp.client.ClientSession",
    "aiohttp.TCPConnector",
    "aiohttp.connector.TCPConnector",
    "httpx.AsyncClient",
    "httpx._client.AsyncClient",
    "httpx2.AsyncClient",
})

#: Exception types whose handlers catch a task's cancellation.
CANCELLATION_CATCHERS: frozenset[str] = frozenset({
    "asyncio.CancelledError",
    "asyncio.exceptions.CancelledError",
    "builtins.BaseException",
})

#: Calls that evaluate to the running framework's cancellation exception class.
CANCELLATION_CLASS_FACTORIES: frozenset[str] = frozenset({"anyio.get_cancelled_exc_class"})

def is_event_loop(context: SemanticModel, expr: cst.BaseExpression) -> bool:
    """Whether ``expr`` evaluates to an event loop.

    Known by type (a loop factory call, a name bound to one, an annotation), or by the
    conventional name ``loop``/``self._loop`` when the type is unknown.  A name whose type is
    known to be something else is not a loop whatever it is called.
    """
    known = context.expression_type(expr)
    if known is not None:
        return known in EVENT_LOOP_TYPES
    if isinstance(expr, cst.Name):
        return expr.value in LOOP_NAMES
    if isinstance(expr, cst.Attribute):
        return expr.attr.value in LOOP_NAMES
    return False


def is_event_loop_policy_name(qualname: str) -> bool:
    """A loop-policy function or an ``asyncio``/``uvloop`` ``*EventLoopPolicy`` class."""
    if qualname in POLICY_FUNCTIONS:
        return True
    root, _, last = qualname.rpartition(".")
    top = root.split(".")[0]
    return top in ("asyncio", "uvloop") and last.endswith("EventLoopPolicy")


def can_suspend(node: cst.CSTNode) -> bool:
    """Whether the code under ``node`` has a suspension point (``await``, ``async for``,
    ``async with``) in the same body, i.e. a place where a task can be cancelled."""
    for inner in walk_body(node):
        if isinstance(inner, cst.Await):
            return True
        if isinstance(inner, (cst.For, cst.With, cst.CompFor)) and inner.asynchronous is not None:
            return True
    return False


# -- guards the code already has (SPEC §10) -----------------------------------------------------
#: Handlers broad enough to catch the ``RuntimeError`` of ``get_event_loop()`` among other
#: errors: they count only when they make a loop themselves.
_BROAD_CATCHERS: frozenset[str] = frozenset({"builtins.Exception", "builtins.BaseException"})
_RUNTIME_ERROR = "builtins.RuntimeError"
_SUPPRESS = frozenset({"contextlib.suppress"})
_CATCH_WARNINGS = frozenset({"warnings.catch_warnings"})
_WARNING_FILTERS = frozenset({"warnings.simplefilter", "warnings.filterwarnings"})
_DEPRECATION_CATEGORIES = frozenset({
    "builtins.DeprecationWarning", "builtins.PendingDeprecationWarning", "builtins.Warning",
})
_VERSION_INFO = "sys.version_info"
#: Comparison operators with the version on the left, as the operator with the sides swapped
#: and as its negation.
_SWAPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
_NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_OPERATORS: dict[type[cst.BaseCompOp], str] = {
    cst.LessThan: "<", cst.LessThanEqual: "<=", cst.GreaterThan: ">", cst.GreaterThanEqual: ">=",
}


def falls_back_on_runtime_error(context: SemanticModel) -> bool:
    """Whether the node being visited runs where a ``RuntimeError`` is already handled: in
    the body of a ``try`` with an ``except RuntimeError`` (alone or in a tuple) that goes on
    rather than raising again, or a broader handler (``Exception``, bare ``except:``) that
    falls back to ``new_event_loop()``; or in ``with contextlib.suppress(RuntimeError):``.
    Only the innermost function body counts: a ``try`` around the ``def`` runs at another
    time."""
    stack = context.stack
    for index in range(len(stack) - 1, 0, -1):
        parent, child = stack[index - 1], stack[index]
        parent_type = type(parent)
        if parent_type in NESTED_SCOPES:
            return False
        if parent_type is cst.Try:
            assert isinstance(parent, cst.Try)
            if child is parent.body and any(
                _falls_back(context, handler) for handler in parent.handlers
            ):
                return True
        elif parent_type is cst.With:
            assert isinstance(parent, cst.With)
            if child is parent.body and any(
                _suppresses_runtime_error(context, item.item) for item in parent.items
            ):
                return True
    return False


def _falls_back(context: SemanticModel, handler: cst.ExceptHandler) -> bool:
    if ends_in_raise(handler.body):
        return False
    caught = handler.type
    names = ([] if caught is None else
             [e.value for e in caught.elements] if isinstance(caught, cst.Tuple) else [caught])
    qualnames = {context.qualified_name(name) for name in names}
    if _RUNTIME_ERROR in qualnames:
        return True
    if caught is None or qualnames & _BROAD_CATCHERS:
        return any(isinstance(inner, cst.Call) and isinstance(inner.func, (cst.Name, cst.Attribute))
                   and (dotted_name(inner.func) or "").rpartition(".")[2] == "new_event_loop"
                   for inner in walk_body(handler.body))
    return False


def _suppresses_runtime_error(context: SemanticModel, expr: cst.BaseExpression) -> bool:
    if not isinstance(expr, cst.Call) or context.qualified_name(expr.func) not in _SUPPRESS:
        return False
    return any(context.qualified_name(arg.value) == _RUNTIME_ERROR for arg in expr.args)


def _last_small_statement(block: cst.BaseSuite) -> cst.BaseSmallStatement | None:
    if isinstance(block, cst.SimpleStatementSuite):
        return block.body[-1] if block.body else None
    assert isinstance(block, cst.IndentedBlock)
    last = block.body[-1] if block.body else None
    if isinstance(last, cst.SimpleStatementLine) and last.body:
        return last.body[-1]
    return None


def ends_in_raise(block: cst.BaseSuite) -> bool:
    """Whether a block's last statement is a ``raise``."""
    return isinstance(_last_small_statement(block), cst.Raise)


def ends_in_exit(block: cst.BaseSuite) -> bool:
    """Whether a block's last statement leaves the function (``return``/``raise``): what
    follows the ``if`` around it runs only when the test failed."""
    return isinstance(_last_small_statement(block), (cst.Return, cst.Raise))


def silences_deprecation_warnings(context: SemanticModel) -> bool:
    """Whether the node being visited runs inside ``with warnings.catch_warnings():`` that
    ignores ``DeprecationWarning`` (``catch_warnings(action="ignore", category=...)``, or a
    ``simplefilter``/``filterwarnings("ignore", ...)`` call in its body before the node): the
    code says in so many words that it knows the API is deprecated."""
    stack = context.stack
    for index in range(len(stack) - 1, 0, -1):
        parent, child = stack[index - 1], stack[index]
        if type(parent) in NESTED_SCOPES:
            return False
        if type(parent) is not cst.With:
            continue
        assert isinstance(parent, cst.With)
        if child is not parent.body:
            continue
        for item in parent.items:
            call = item.item
            if not isinstance(call, cst.Call) or (
                    context.qualified_name(call.func) not in _CATCH_WARNINGS):
                continue
            if _ignores_deprecation(context, call):
                return True
            body = parent.body
            statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
            position = stack[index + 1] if index + 1 < len(stack) else None
            for statement in statements:
                if statement is position:
                    break
                for inner in walk_body(statement):
                    if isinstance(inner, cst.Call) and (
                            context.qualified_name(inner.func) in _WARNING_FILTERS
                            and _ignores_deprecation(context, inner)):
                        return True
    return False


def _ignores_deprecation(context: SemanticModel, call: cst.Call) -> bool:
    """``("ignore", DeprecationWarning)``, ``action="ignore", category=DeprecationWarning``."""
    ignore = category = False
    for position, arg in enumerate(call.args):
        value = arg.value
        keyword = arg.keyword.value if arg.keyword is not None else None
        if keyword in (None, "action") and isinstance(value, cst.SimpleString):
            ignore = ignore or value.evaluated_value == "ignore"
        elif keyword == "category" or (keyword is None and position > 0):
            category = category or context.qualified_name(value) in _DEPRECATION_CATEGORIES
    return ignore and category


def version_ceiling(context: SemanticModel) -> PythonVersion | None:
    """The first Python version on which the node being visited does not run, when a test of
    ``sys.version_info`` gates it: an enclosing ``if``/``elif``/``else`` branch, or an earlier
    ``if <test>: ... return`` in an enclosing block (what follows runs only when the test
    failed).  A module-level flag bound to such a test (``PY312 = sys.version_info >= (3,
    12)``) counts as the test.  None when nothing bounds it from above."""
    stack = context.stack
    ceiling: PythonVersion | None = None
    for index in range(len(stack) - 1, 0, -1):
        parent, child = stack[index - 1], stack[index]
        found: PythonVersion | None = None
        if type(parent) is cst.If:
            assert isinstance(parent, cst.If)
            if child is parent.body:
                found = _ceiling(context, parent.test, holds=True)
            elif child is parent.orelse:
                found = _ceiling(context, parent.test, holds=False)
        elif type(parent) is cst.IndentedBlock or type(parent) is cst.Module:
            assert isinstance(parent, (cst.IndentedBlock, cst.Module))
            for statement in parent.body:
                if statement is child:
                    break
                if (isinstance(statement, cst.If) and statement.orelse is None
                        and ends_in_exit(statement.body)):
                    found = _lowest(found, _ceiling(context, statement.test, holds=False))
        ceiling = _lowest(ceiling, found)
    return ceiling


def _lowest(a: PythonVersion | None, b: PythonVersion | None) -> PythonVersion | None:
    if a is None:
        return b
    return a if b is None or a <= b else b


def _ceiling(context: SemanticModel, test: cst.BaseExpression, *, holds: bool,
             depth: int = 0) -> PythonVersion | None:
    """The first version excluded when ``test`` is true (``holds``) or false."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _ceiling(context, test.expression, holds=not holds, depth=depth)
    if isinstance(test, cst.BooleanOperation):
        left = _ceiling(context, test.left, holds=holds, depth=depth)
        right = _ceiling(context, test.right, holds=holds, depth=depth)
        if isinstance(test.operator, cst.And) == holds:
            # Every part is true (a true ``and``) or every part false (a false ``or``).
            return _lowest(left, right)
        # Only one part is known to be true (or false): both must bound it.
        return None if left is None or right is None else max(left, right)
    if isinstance(test, cst.Name) and depth < 3:
        bindings = context.module_scope.bindings.get(test.value)
        if bindings and len(bindings) == 1 and bindings[0].kind == "assign" and (
                bindings[0].value is not None):
            return _ceiling(context, bindings[0].value, holds=holds, depth=depth + 1)
        return None
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        operator = _OPERATORS.get(type(target.operator))
        if operator is None:
            return None
        first, second = test.left, target.comparator
        bound = _version_literal(second) if _is_version(context, first) else None
        if bound is None and _is_version(context, second):
            bound, operator = _version_literal(first), _SWAPPED[operator]
        if bound is None:
            return None
        if not holds:
            operator = _NEGATED[operator]
        version, exact = bound
        if operator == "<":
            # ``< (3, 10, 2)`` still admits 3.10.0 and 3.10.1.
            return version if exact else (version[0], version[1] + 1)
        if operator == "<=":
            return (version[0], version[1] + 1)
    return None


def _is_version(context: SemanticModel, expr: cst.BaseExpression) -> bool:
    """``sys.version_info`` or its first two fields (``sys.version_info[:2]``)."""
    if isinstance(expr, cst.Subscript):
        expr = expr.value
    return context.qualified_name(expr) == _VERSION_INFO


def _version_literal(expr: cst.BaseExpression) -> tuple[PythonVersion, bool] | None:
    """``(3, 14)`` -> ``((3, 14), True)``; the flag says no micro version follows."""
    if not isinstance(expr, cst.Tuple):
        return None
    numbers = []
    for element in expr.elements:
        if not isinstance(element.value, cst.Integer):
            return None
        numbers.append(int(element.value.value))
    if not numbers:
        return None
    major, minor = numbers[0], numbers[1] if len(numbers) > 1 else 0
    return (major, minor), not any(numbers[2:])
