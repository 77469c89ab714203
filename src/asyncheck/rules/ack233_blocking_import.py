"""ACK233 blocking-import."""

from __future__ import annotations

from typing import ClassVar

from asyncheck.lint import BlockingCallRule, Invalid, Valid


class BlockingImport(BlockingCallRule):
    """
    ## What it does
    Reports imports by call made directly inside an `async def`:
    `importlib.import_module(...)`, `importlib.reload(...)` and `__import__(...)`.

    ## Why is this bad?
    Importing a module that is not loaded yet finds it on `sys.path`, reads and compiles its
    files and runs its top-level code (which often imports more), all on the event loop's
    thread: easily hundreds of milliseconds for a package with heavy dependencies. Plug-in
    loaders that import a plug-in by name inside a set-up coroutine freeze everything else
    the loop serves meanwhile.

    ## Example
    ```python
    import importlib

    async def load_platform(name: str):
        module = importlib.import_module(f"myapp.platforms.{name}")
        await module.async_setup()
    ```

    ## Use instead
    ```python
    import asyncio
    import importlib

    async def load_platform(name: str):
        module = await asyncio.to_thread(importlib.import_module, f"myapp.platforms.{name}")
        await module.async_setup()
    ```
    Or import the module at start-up (at the top of the file, or before the loop starts).

    ## Precision
    Off by default: on the ecosystem check (25 real async projects, SPEC §10) 4 of 10
    judged findings were true (40 %), below the 90 % a default rule keeps. The true ones
    imported plug-in modules while Home Assistant set up on its shared loop (its own
    blocking-call detector reports them); the false ones imported an optional dependency
    once in an interactive command, right after installing it, or a module already loaded
    (`sys.modules` answers at once). Turn it on where plug-ins load on a running loop:
    `extend-select = ["ACK233"]`.
    """

    code = "ACK233"
    default_enabled = False  # measured below 90 % true: see Precision
    name = "blocking-import"
    message: ClassVar[str] = (
        "{call} reads and runs module files and blocks the event loop inside "
        "`async def {function}`; {way_out}"
    )

    VALID = [
        # Imported in a thread.
        Valid(
            "import asyncio\nimport importlib\n\n"
            "async def load_platform(name: str):\n"
            "    module = await asyncio.to_thread(importlib.import_module, f'app.platforms.{name}')\n"
            "    await module.async_setup()\n"
        ),
        # Imports in a sync loader run before the loop starts.
        Valid(
            "import importlib\n\n"
            "def load_plugins(names: list[str]) -> list:\n"
            "    return [importlib.import_module(f'app.plugins.{n}') for n in names]\n"
        ),
        # An `import` statement is not a call (and mostly runs at start-up).
        Valid(
            "async def render(template: str) -> str:\n"
            "    import json\n"
            "    return json.dumps({'template': template})\n"
        ),
    ]
    INVALID = [
        Invalid(
            "import importlib\n\n"
            "async def load_platform(name: str):\n"
            "    module = importlib.import_module(f'app.platforms.{name}')\n"
            "    await module.async_setup()\n",
            line=4, column=14, message_contains="asyncio.to_thread(importlib.import_module",
        ),
        Invalid(
            "from importlib import import_module, reload\n\n"
            "async def reload_handlers(names: list[str]):\n"
            "    for name in names:\n"
            "        reload(import_module(name))\n"
            "    return __import__('app.handlers')\n",
            line=5, count=3,
        ),
    ]
