"""ACK280 blocking-call-configured."""

from __future__ import annotations

import fnmatch

import libcst as cst

from asyncheck.lint import Invalid, Rule, Valid
from asyncheck.semantics.blocking import blocking_call, describe_call


class BlockingCallConfigured(Rule):
    """
    ## What it does
    Reports calls made directly inside an `async def` whose resolved qualified name matches
    a pattern of the `blocking-calls` setting, with the suggestion configured for it. Names
    resolve as for the built-in rules: through imports and aliases, and to
    `package.Class.method` for methods of tracked objects (`client.fetch` where
    `client = legacy_sdk.Client()`), so a pattern can name one function, a whole module
    (`legacy_sdk.*`) or every method of a class (`legacy_sdk.Client.*`). Project functions
    match by their module path (`myapp.legacy.*`).

    Calls the built-in rules ACK200–ACK270 already know are left to them.

    ## Why is this bad?
    Every code base has its own blocking calls: an in-house SDK, a synchronous vendor
    client, a helper that shells out. Inside `async def` they freeze the event loop just like
    `requests.get`.

    ## Example
    ```toml
    [tool.asyncheck.blocking-calls]
    "boto3.client" = "use aioboto3"
    "legacy_sdk.Client.*" = "use `legacy_sdk.aio.Client`"
    ```
    ```python
    import legacy_sdk

    client = legacy_sdk.Client(token="...")

    async def sync_invoices():
        return client.list_invoices(status="open")
    ```

    ## Use instead
    ```python
    from legacy_sdk import aio

    client = aio.Client(token="...")

    async def sync_invoices():
        return await client.list_invoices(status="open")
    ```

    ## Options
    `blocking-calls`: a table of fnmatch patterns (matched case-sensitively against the
    resolved qualified name) to the suggestion shown in the message.
    """

    code = "ACK280"
    TRIGGERS = ("async def",)  # reports only inside `async def`
    name = "blocking-call-configured"
    message = ("{call} blocks the event loop inside `async def {function}` "
               "(configured in `blocking-calls` as `{pattern}`); {suggestion}")

    VALID = [
        # Nothing configured: nothing reported.
        Valid("import legacy_sdk\n\nasync def main():\n    legacy_sdk.Client().list_invoices()\n"),
        Valid(
            "import asyncio, legacy_sdk\n\n"
            "def sync_invoices():\n"
            "    return legacy_sdk.Client().list_invoices()\n\n"
            "async def main():\n"
            "    await asyncio.to_thread(legacy_sdk.Client().list_invoices)\n"
            "    return sync_invoices()\n",
            options={"blocking_calls": (("legacy_sdk.Client.*", "use legacy_sdk.aio"),)},
        ),
        # A parameter that shadows the module.
        Valid(
            "import boto3\n\nasync def upload(boto3, key):\n    boto3.client('s3')\n",
            options={"blocking_calls": (("boto3.client", "use aioboto3"),)},
        ),
        # time.sleep is ACK200's; a configured pattern does not report it twice.
        Valid(
            "import time\n\nasync def main():\n    time.sleep(1)\n",
            options={"blocking_calls": (("time.*", "use asyncio.sleep"),)},
        ),
    ]
    INVALID = [
        Invalid(
            "import legacy_sdk\n\n"
            "client = legacy_sdk.Client(token='t')\n\n"
            "async def sync_invoices():\n"
            "    return client.list_invoices(status='open')\n",
            line=6, column=12, message_contains="use `legacy_sdk.aio.Client`",
            options={"blocking_calls": (("legacy_sdk.Client.*", "use `legacy_sdk.aio.Client`"),)},
        ),
        Invalid(
            "from boto3 import client as make_client\n\n"
            "async def upload(path, key):\n"
            "    s3 = make_client('s3')\n"
            "    return s3\n",
            line=4, message_contains="aioboto3",
            options={"blocking_calls": (("boto3.client", "use aioboto3"),)},
        ),
        # A project function, matched by its module path.
        Invalid(
            "from app.legacy import render_pdf\n\n"
            "async def invoice_pdf(invoice):\n"
            "    return render_pdf(invoice)\n",
            filename="app/api.py",
            other_files={"app/__init__.py": "", "app/legacy.py": "def render_pdf(doc):\n    return doc\n"},
            line=4, options={"blocking_calls": (("app.legacy.*", "run it in a process pool"),)},
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        settings = context.settings
        if not settings.blocking_calls or not context.in_async_function:
            return
        qualname = context.qualified_name(node.func)
        if qualname is None or blocking_call(qualname) is not None:
            return
        for name in dict.fromkeys((qualname, context.index.canonical(qualname))):
            # First matching pattern wins, as in ``Settings.blocking_call_suggestion``.
            for pattern, suggestion in settings.blocking_calls:
                if fnmatch.fnmatchcase(name, pattern):
                    function = context.current_function
                    self.report(
                        node,
                        call=describe_call(node.func, name),
                        function=function.name.value if function is not None else "?",
                        pattern=pattern,
                        suggestion=suggestion,
                    )
                    return

