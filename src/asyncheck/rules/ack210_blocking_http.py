"""ACK210 blocking-http."""

from __future__ import annotations

from asyncheck.lint import BlockingCallRule, Invalid, Valid


class BlockingHttp(BlockingCallRule):
    """
    ## What it does
    Reports synchronous HTTP calls made directly inside an `async def`: the module functions
    of `requests` and `niquests` (`get`, `post`, `put`, `patch`, `delete`, `head`,
    `options`, `request`), of `httpx` and `httpx2`, `urllib.request.urlopen`/`urlretrieve`
    and `urllib3.request`; and the request methods of client objects: `requests.Session`
    (from `requests.Session()`, `requests.session()`, `with requests.Session() as s`, or an
    annotation such as `session: requests.Session`, also as a string or `Optional`),
    `httpx.Client` and `httpx2.Client` (also `from httpx import Client`; `close()` too),
    urllib3's pools (`PoolManager`, `ProxyManager`, `HTTPConnectionPool`,
    `HTTPSConnectionPool`, also as `urllib3.poolmanager.*`/`urllib3.connectionpool.*`, from
    `connection_from_url`, or known by an annotation such as `c: urllib3.PoolManager`) and
    `http.client.HTTPConnection`/`HTTPSConnection`.

    Async clients (`httpx.AsyncClient`, `aiohttp.ClientSession`) are not reported, nor is a
    dictionary's `.get`, nor a call handed to a thread (`await asyncio.to_thread(requests.get, url)`).

    ## Why is this bad?
    A synchronous request holds the event loop's only thread until the server answers. Every
    other coroutine waits with it: fifty "concurrent" fetches run one after another, and a
    slow endpoint stalls health checks and websockets too.

    ## Example
    ```python
    import requests

    async def fetch_price(symbol: str) -> float:
        resp = requests.get(f"https://api.example.com/price/{symbol}", timeout=5)
        return resp.json()["price"]
    ```

    ## Use instead
    ```python
    import aiohttp

    async def fetch_price(session: aiohttp.ClientSession, symbol: str) -> float:
        async with session.get(f"https://api.example.com/price/{symbol}") as resp:
            return (await resp.json())["price"]
    ```
    Or `httpx.AsyncClient`; code that must stay synchronous runs in a thread:
    `await asyncio.to_thread(requests.get, url, timeout=5)`.
    """

    code = "ACK210"
    name = "blocking-http"

    VALID = [
        # Sync code may block: the seed's synchronous version.
        Valid(
            "import requests\n\n"
            "def fetch_sync(url: str) -> int:\n"
            "    resp = requests.get(url, timeout=5)\n"
            "    return resp.status_code\n"
        ),
        # The async clients.
        Valid(
            "import httpx\n\n"
            "async def fetch_all(urls):\n"
            "    async with httpx.AsyncClient(timeout=10) as client:\n"
            "        for url in urls:\n"
            "            resp = await client.get(url)\n"
            "            resp.raise_for_status()\n"
        ),
        Valid(
            "import aiohttp\n\n"
            "async def fetch(session: aiohttp.ClientSession, url: str) -> int:\n"
            "    async with session.get(url) as resp:\n"
            "        return resp.status\n"
        ),
        # Off-loaded: passed to a thread, not called.
        Valid(
            "import asyncio, functools\nimport requests\n\n"
            "async def fetch(url):\n"
            "    resp = await asyncio.to_thread(requests.get, url, timeout=5)\n"
            "    loop = asyncio.get_running_loop()\n"
            "    await loop.run_in_executor(None, functools.partial(requests.post, url, json={}))\n"
            "    await loop.run_in_executor(None, lambda: requests.delete(url))\n"
            "    return resp\n"
        ),
        # A dict's get is not an HTTP GET; a parameter named `requests` is not the module.
        Valid(
            "import requests\n\n"
            "async def handle(headers: dict, cache):\n"
            "    token = headers.get('authorization')\n"
            "    cached = cache.get(token)\n"
            "    return cached\n\n"
            "async def replay(requests):\n"
            "    for request in requests.get('pending', []):\n"
            "        print(request)\n"
        ),
        Valid(
            "from typing import TYPE_CHECKING\nimport requests\n\n"
            "async def main():\n"
            "    if TYPE_CHECKING:\n"
            "        requests.get('https://example.com')\n"
        ),
    ]
    INVALID = [
        Invalid(
            "import requests\n\n"
            "async def fetch_price(symbol):\n"
            "    resp = requests.get(f'https://api.example.com/price/{symbol}', timeout=5)\n"
            "    return resp.json()['price']\n",
            line=4, column=12, message_contains="aiohttp",
        ),
        # Called, not passed: the request runs on the loop before the executor sees it.
        Invalid(
            "import asyncio\nimport requests\n\n"
            "async def fetch(url):\n"
            "    loop = asyncio.get_running_loop()\n"
            "    return await loop.run_in_executor(None, requests.get(url))\n",
            line=6, column=45,
        ),
        Invalid(
            "import niquests\n\nasync def ping(url):\n    return niquests.head(url).status_code\n",
            line=4, message_contains="niquests.AsyncSession",
        ),
        # A session bound by `with`, used in a FastAPI-style handler.
        Invalid(
            "import requests\n\n"
            "async def import_users(ids):\n"
            "    with requests.Session() as session:\n"
            "        session.headers['Authorization'] = 'Bearer x'\n"
            "        for user_id in ids:\n"
            "            session.post('https://crm.example.com/users', json={'id': user_id})\n",
            line=7, message_contains="session.post(...)",
        ),
        # A session from a factory at module level, and an annotated attribute.
        Invalid(
            "import requests\nfrom typing import Optional\n\n"
            "http = requests.session()\n\n"
            "class Crawler:\n"
            "    session: Optional[requests.Session] = None\n\n"
            "    async def crawl(self, url):\n"
            "        page = http.get(url)\n"
            "        self.session.get(url + '/robots.txt')\n"
            "        return page\n",
            line=10, count=2,
        ),
        Invalid(
            "import requests\n\n"
            "async def upload(session: 'requests.Session', url, data):\n"
            "    return session.put(url, data=data)\n",
            line=4,
        ),
        Invalid(
            "from httpx import Client\n\n"
            "client = Client(base_url='https://api.example.com')\n\n"
            "async def status():\n"
            "    return client.get('/status').json()\n",
            line=6, message_contains="httpx.AsyncClient",
        ),
        Invalid(
            "import httpx\n\nasync def status(url):\n    return httpx.get(url).status_code\n",
            line=4,
        ),
        Invalid(
            "import urllib.request\n\n"
            "async def download(url, target):\n"
            "    with urllib.request.urlopen(url) as resp:\n"
            "        return resp.read()\n",
            line=4,
        ),
        Invalid(
            "import urllib3\n\n"
            "pool = urllib3.PoolManager()\n\n"
            "async def hook(url):\n"
            "    pool.request('POST', url, body=b'{}')\n",
            line=6,
        ),
        # urllib3's pools known by an annotation, in any of their modules' spellings.
        Invalid(
            "import urllib3\nfrom urllib3 import connectionpool\n\n"
            "pool: urllib3.PoolManager = urllib3.PoolManager(num_pools=4)\n\n"
            "async def hook(url, replica: connectionpool.HTTPSConnectionPool):\n"
            "    pool.request('POST', url, body=b'{}')\n"
            "    replica.urlopen('POST', '/hook', body=b'{}')\n",
            line=7, count=2, message_contains="urllib3.PoolManager.request",
        ),
        # httpx2 (the maintained fork), and closing a sync client.
        Invalid(
            "import httpx2\n\n"
            "SYNC = httpx2.Client(base_url='https://api.example.com')\n\n"
            "async def shutdown():\n"
            "    httpx2.post('https://api.example.com/bye')\n"
            "    SYNC.close()\n",
            line=6, count=2,
        ),
        Invalid(
            "import http.client\n\n"
            "async def probe(host):\n"
            "    conn = http.client.HTTPSConnection(host, timeout=3)\n"
            "    conn.request('HEAD', '/')\n"
            "    return conn.getresponse().status\n",
            line=5, count=2,
        ),
    ]
