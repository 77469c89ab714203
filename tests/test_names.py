"""Scope lookups: `global` sends a name to the module, class bodies are not enclosing."""

from __future__ import annotations

import libcst as cst

from asyncheck.semantics.names import make_class_scope, make_function_scope, make_module_scope


def test_global_and_class_bodies_on_a_fresh_scope() -> None:
    module = cst.parse_module(
        "import time\nclock = time\n\nclass Poller:\n    clock = None\n\n"
        "    def tick(self):\n        global clock\n        clock = time\n        return clock\n")
    module_scope = make_module_scope(module, "svc")
    poller = module.body[2]
    assert isinstance(poller, cst.ClassDef)
    class_scope = make_class_scope(poller, module_scope)
    tick = poller.body.body[1]
    assert isinstance(tick, cst.FunctionDef)
    tick_scope = make_function_scope(tick, class_scope)
    # Asked first, before anything else collected the function's bindings.
    found = tick_scope.binding_scope("clock")
    assert found is not None and found[0] is module_scope
    assert tick_scope.global_names == {"clock"}
    found_in_class = class_scope.binding_scope("clock")
    assert found_in_class is not None and found_in_class[0] is class_scope
