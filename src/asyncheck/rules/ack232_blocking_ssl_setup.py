"""ACK232 blocking-ssl-setup."""

from __future__ import annotations

from typing import ClassVar

from asyncheck.lint import BlockingCallRule, Invalid, Valid


class BlockingSslSetup(BlockingCallRule):
    """
    ## What it does
    Reports TLS set-up made directly inside an `async def`: `ssl.create_default_context()`
    (and `ssl._create_unverified_context()`), `ssl.get_server_certificate()`; the
    `load_verify_locations`, `load_cert_chain`, `load_default_certs` and
    `set_default_verify_paths` methods of `ssl.SSLContext` objects (made by
    `ssl.SSLContext(...)`, `ssl.create_default_context()`, or known by an annotation); and
    constructing an `httpx`/`httpx2` `Client`, `AsyncClient`, `HTTPTransport` or
    `AsyncHTTPTransport`, which builds such a context and loads the CA bundle from disk.

    A client given its TLS set-up loads nothing and is not reported: `verify=False`,
    `verify=` a context built elsewhere (an `ssl.SSLContext`, a call that makes one, a name
    such as `ssl_context`), or a `transport=`; nor is one given `**options`, which may
    carry them.

    ## Why is this bad?
    Loading certificates reads and parses files (the system CA store, `certifi`'s bundle:
    a few hundred certificates) on the event loop's thread: tens of milliseconds each time,
    more on a slow disk, during which no other coroutine runs. It is the most frequent
    "detected blocking call inside the event loop" report of Home Assistant integrations,
    which typically build a new client for every request or every set-up.

    ## Example
    ```python
    import ssl

    import httpx

    async def fetch_status(host: str) -> dict:
        context = ssl.create_default_context()
        async with httpx.AsyncClient(base_url=f"https://{host}") as client:
            reply = await client.get("/status")
        return reply.json()
    ```

    ## Use instead
    ```python
    import ssl

    import httpx

    SSL_CONTEXT = ssl.create_default_context()  # once, at import or start-up

    async def fetch_status(client: httpx.AsyncClient, host: str) -> dict:
        reply = await client.get(f"https://{host}/status")
        return reply.json()
    ```
    Create the context or the client once (at start-up, or with
    `await asyncio.to_thread(ssl.create_default_context)`) and reuse it; a client can be
    given the shared context with `httpx.AsyncClient(verify=SSL_CONTEXT)`.

    ## Precision
    Off by default: on the ecosystem check (25 real async projects, SPEC §10) 1 of 13
    judged findings was true (8 %), far below the 90 % a default rule keeps. The true one set
    up an integration on Home Assistant's shared loop (whose own blocking-call detector
    reports these calls); the false ones built a context or client once: per connection, per
    cached engine or version check, at start-up, or for a periodic heartbeat, where a few
    tens of milliseconds go unnoticed. Turn it on for code that sets up on a loop other work
    is already using (a Home Assistant integration, a plug-in host): `extend-select =
    ["ACK232"]`.
    """

    code = "ACK232"
    default_enabled = False  # measured below 90 % true: see Precision
    name = "blocking-ssl-setup"
    message: ClassVar[str] = (
        "{call} loads certificates from disk and blocks the event loop inside "
        "`async def {function}`; {way_out}"
    )

    VALID = [
        # Built once at import time, then reused by every request.
        Valid(
            "import ssl\n\nimport httpx\n\n"
            "SSL_CONTEXT = ssl.create_default_context()\n"
            "CLIENT = httpx.AsyncClient(verify=SSL_CONTEXT)\n\n"
            "async def fetch_status(host: str) -> dict:\n"
            "    reply = await CLIENT.get(f'https://{host}/status')\n"
            "    return reply.json()\n"
        ),
        # Given its TLS set-up, a client loads nothing.
        Valid(
            "import ssl\n\nimport httpx\n\n"
            "async def probe(host: str, ssl_context: ssl.SSLContext, insecure_host: str):\n"
            "    async with httpx.AsyncClient(verify=ssl_context) as client:\n"
            "        await client.get(f'https://{host}/')\n"
            "    async with httpx.AsyncClient(verify=False) as lax:\n"
            "        await lax.get(f'https://{insecure_host}/')\n"
        ),
        # Built in a thread.
        Valid(
            "import asyncio\nimport ssl\n\n"
            "async def make_context(cafile: str) -> ssl.SSLContext:\n"
            "    return await asyncio.to_thread(ssl.create_default_context, cafile=cafile)\n"
        ),
        # A sync factory called at start-up.
        Valid(
            "import ssl\n\n"
            "def client_context(certfile: str, keyfile: str) -> ssl.SSLContext:\n"
            "    context = ssl.create_default_context()\n"
            "    context.load_cert_chain(certfile, keyfile)\n"
            "    return context\n"
        ),
    ]
    INVALID = [
        Invalid(
            "import ssl\n\n"
            "async def connect_broker(host: str, cafile: str):\n"
            "    context = ssl.create_default_context(cafile=cafile)\n"
            "    return context\n",
            line=4, column=15, message_contains="build the context once",
        ),
        # The methods that load files, on a context made here or annotated.
        Invalid(
            "import ssl\n\n"
            "async def tls_server_context(certfile: str, keyfile: str) -> ssl.SSLContext:\n"
            "    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
            "    context.load_cert_chain(certfile, keyfile)\n"
            "    return context\n\n"
            "async def trust(context: ssl.SSLContext, cafile: str) -> None:\n"
            "    context.load_verify_locations(cafile)\n",
            line=5, count=2, message_contains="`context.load_cert_chain(...)`",
        ),
        # A new client per call loads the CA bundle each time.
        Invalid(
            "import httpx\n\n"
            "async def fetch_status(host: str) -> dict:\n"
            "    async with httpx.AsyncClient(base_url=f'https://{host}') as client:\n"
            "        reply = await client.get('/status')\n"
            "    return reply.json()\n",
            line=4, message_contains="create the client once",
        ),
        Invalid(
            "from httpx import AsyncClient, AsyncHTTPTransport\n\n"
            "async def make_client(retries: int) -> AsyncClient:\n"
            "    transport = AsyncHTTPTransport(retries=retries)\n"
            "    return AsyncClient(transport=transport)\n",
            line=4,
        ),
    ]
