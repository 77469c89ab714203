"""ACK200 blocking-sleep."""

from __future__ import annotations

import libcst as cst

from asyncheck.lint import (
    BlockingCallRule,
    Fix,
    Invalid,
    Valid,
    module_reference,
)


class BlockingSleep(BlockingCallRule):
    """
    ## What it does
    Reports `time.sleep(...)` called directly inside an `async def`, however `time` or
    `sleep` was imported (`import time as t`, `from time import sleep as nap`, an import
    inside the function).

    ## Why is this bad?
    `time.sleep` blocks the thread, and an event loop runs all its coroutines on one thread:
    while one coroutine sleeps, every other request, timer and heartbeat in the process is
    frozen. Fifty concurrent fetches that each "wait" one second this way take fifty seconds.

    ## Example
    ```python
    import time

    async def fetch_with_retry(session, url):
        for attempt in range(3):
            async with session.get(url) as resp:
                if resp.status != 429:
                    return await resp.json()
            time.sleep(2 ** attempt)
    ```

    ## Use instead
    ```python
    import asyncio

    async def fetch_with_retry(session, url):
        for attempt in range(3):
            async with session.get(url) as resp:
                if resp.status != 429:
                    return await resp.json()
            await asyncio.sleep(2 ** attempt)
    ```
    Blocking work that must run as is belongs in a thread: `await asyncio.to_thread(time.sleep, 1)`.

    ## Fix
    `time.sleep(x)` becomes `await asyncio.sleep(x)` when the call is a statement of its own
    or the value of an assignment; `import asyncio` is added after the existing imports when
    missing, and an `import asyncio as aio` already there is used. Elsewhere (inside an
    argument, a condition, a lambda) no fix is offered: the change needs a person's judgement.
    Nor where the name would not mean the module at the call (a parameter or local named
    `asyncio`, a global rebound after the import).
    """

    code = "ACK200"
    name = "blocking-sleep"
    fixable = True

    def fix_for(self, call: cst.Call) -> Fix | None:
        parent = self.context.parent()
        if not (
            (isinstance(parent, cst.Expr) and parent.value is call)
            or (isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is call)
        ):
            return None
        reference = module_reference(self.context.scope, self.context.source, "asyncio")
        if reference is None:
            return None
        alias, imports = reference
        new_call = call.with_changes(
            func=cst.Attribute(value=cst.Name(alias), attr=cst.Name("sleep")))
        return Fix(call, cst.Await(expression=new_call),
                   "replace with `await asyncio.sleep(...)`", imports)

    VALID = [
        # Sync code may block.
        Valid("import time\n\ndef poll():\n    time.sleep(1)\n"),
        # A zero-length sleep waits for nothing: it only yields the GIL to other threads.
        Valid(
            "from time import perf_counter, sleep\n\nasync def spin_for(seconds):\n"
            "    start = perf_counter()\n"
            "    while perf_counter() - start < seconds:\n        sleep(0)\n"
        ),
        # A nested def or lambda is not the coroutine's body.
        Valid(
            "import time\n\nasync def main(loop):\n"
            "    def work():\n        time.sleep(1)\n"
            "    await loop.run_in_executor(None, work)\n"
            "    await loop.run_in_executor(None, lambda: time.sleep(1))\n"
        ),
        # Passed, not called: off-loaded to a thread.
        Valid(
            "import asyncio, functools, time\n\nasync def main():\n"
            "    await asyncio.to_thread(time.sleep, 1)\n"
            "    await asyncio.get_running_loop().run_in_executor(None, functools.partial(time.sleep, 1))\n"
        ),
        # A local function that shadows the name is not time.sleep.
        Valid(
            "from time import sleep\n\nasync def main():\n"
            "    def sleep(seconds):\n        return seconds\n"
            "    sleep(1)\n"
        ),
        Valid("import asyncio\n\nasync def main(time):\n    time.sleep(1)\n"),
        Valid("import asyncio\n\nasync def main():\n    await asyncio.sleep(1)\n"),
        Valid(
            "from typing import TYPE_CHECKING\nimport time\n\nasync def main():\n"
            "    if TYPE_CHECKING:\n        time.sleep(1)\n"
        ),
        # Default values are evaluated when the def runs, not inside the coroutine.
        Valid("import time\n\nasync def main(started=time.sleep(0)):\n    pass\n"),
    ]
    INVALID = [
        Invalid(
            "import time\n\nasync def buggy_fetch(url):\n    time.sleep(1)\n    return 'data'\n",
            line=4, column=5, message_contains="asyncio.sleep",
            expected_fix=(
                "import time\nimport asyncio\n\nasync def buggy_fetch(url):\n"
                "    await asyncio.sleep(1)\n    return 'data'\n"
            ),
        ),
        # The import goes after the docstring, __future__ and existing imports; comments stay.
        Invalid(
            '"""Poller."""\nfrom __future__ import annotations\n\nimport time\n'
            "from typing import Any\n\nRETRIES = 3\n\n\nasync def poll(client: Any) -> None:\n"
            "    while True:\n        await client.ping()\n"
            "        time.sleep(  # back off\n            5,\n        )\n",
            line=13,
            expected_fix=(
                '"""Poller."""\nfrom __future__ import annotations\n\nimport time\n'
                "from typing import Any\nimport asyncio\n\nRETRIES = 3\n\n\n"
                "async def poll(client: Any) -> None:\n"
                "    while True:\n        await client.ping()\n"
                "        await asyncio.sleep(  # back off\n            5,\n        )\n"
            ),
        ),
        # An existing alias is honoured; an assignment value is fixed too.
        Invalid(
            "import asyncio as aio\nfrom time import sleep\n\nasync def main():\n"
            "    slept = sleep(0.1)\n    return slept\n",
            expected_fix=(
                "import asyncio as aio\nfrom time import sleep\n\nasync def main():\n"
                "    slept = await aio.sleep(0.1)\n    return slept\n"
            ),
        ),
        # Inside an argument: reported, but no fix offered (expected_fix is the source itself).
        Invalid(
            "import time\n\nasync def main(log):\n    log(time.sleep(1))\n",
            expected_fix="import time\n\nasync def main(log):\n    log(time.sleep(1))\n",
        ),
        # No fix where `asyncio` (or its alias) would not be the module at the call: a
        # parameter, a local, an enclosing function's name, a rebound global.
        *(Invalid(source, expected_fix=source) for source in (
            "import asyncio\nimport time\n\nasync def main(asyncio):\n    time.sleep(1)\n",
            "import asyncio as aio\nimport time\n\nasync def main(aio):\n    time.sleep(1)\n",
            "import time\n\nasync def main():\n    asyncio = object()\n    time.sleep(1)\n",
            "import time\n\ndef outer(asyncio):\n    async def inner():\n"
            "        time.sleep(1)\n    return inner\n",
            "import asyncio\nimport time\n\nasyncio = None\n\nasync def main():\n"
            "    time.sleep(1)\n",
            "import asyncio\nimport time\n\ndef patch(fake):\n    global asyncio\n"
            "    asyncio = fake\n\nasync def main():\n    time.sleep(1)\n",
        )),
        # A class attribute is not visible in its methods: the module is.
        Invalid(
            "import asyncio\nimport time\n\nclass Poller:\n    asyncio = None\n\n"
            "    async def run(self):\n        time.sleep(1)\n",
            expected_fix=(
                "import asyncio\nimport time\n\nclass Poller:\n    asyncio = None\n\n"
                "    async def run(self):\n        await asyncio.sleep(1)\n"
            ),
        ),
        Invalid("import time as t\n\nasync def main():\n    t.sleep(0.5)\n", line=4),
        Invalid("from time import sleep\n\nasync def main():\n    sleep(1)\n", line=4),
        Invalid("from time import sleep as nap\n\nasync def main():\n    nap(1)\n", line=4),
        Invalid("async def buggy_fetch(url):\n    import time\n    time.sleep(1)\n", line=3),
        Invalid(
            "import time\n\nclass Poller:\n    async def run(self):\n"
            "        while True:\n            time.sleep(5)\n",
            line=6,
        ),
        # The innermost function decides: an async def nested in a sync one.
        Invalid(
            "import time\n\ndef make():\n    async def tick():\n        time.sleep(1)\n    return tick\n",
            line=5,
        ),
    ]
