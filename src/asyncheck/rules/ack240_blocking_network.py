"""ACK240 blocking-network."""

from __future__ import annotations

from asyncheck.lint import BlockingCallRule, Invalid, Valid


class BlockingNetwork(BlockingCallRule):
    """
    ## What it does
    Reports blocking socket-level network calls made directly inside an `async def`:
    `socket.create_connection`, `socket.getaddrinfo`, `socket.gethostbyname(_ex)`,
    `socket.gethostbyaddr`; `recv`, `recvfrom`, `recv_into`, `send`, `sendall`, `sendto`,
    `accept` and `connect` on socket objects made by `socket.socket()`,
    `create_connection` or `accept()` (`conn, addr = listener.accept()`) (not when the same function, or the class for `self.sock`, switches
    the socket to non-blocking mode with `setblocking(False)`); and `smtplib.SMTP*` and
    `ftplib.FTP*` objects (constructing one with an address connects).

    ## Why is this bad?
    A DNS lookup or a socket read waits for the network while holding the event loop's
    thread, so no other coroutine runs until the peer answers or the timeout expires.

    ## Example
    ```python
    import socket

    async def check_port(host: str, port: int) -> bool:
        try:
            with socket.create_connection((host, port), timeout=2):
                return True
        except OSError:
            return False
    ```

    ## Use instead
    ```python
    import asyncio

    async def check_port(host: str, port: int) -> bool:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 2)
        except (OSError, asyncio.TimeoutError):
            return False
        writer.close()
        await writer.wait_closed()
        return True
    ```
    """

    code = "ACK240"
    name = "blocking-network"

    VALID = [
        Valid(
            "import socket\n\n"
            "def check_port(host, port):\n"
            "    with socket.create_connection((host, port), timeout=2):\n"
            "        return True\n"
        ),
        Valid(
            "import asyncio, socket\n\n"
            "async def resolve(host):\n"
            "    loop = asyncio.get_running_loop()\n"
            "    infos = await loop.getaddrinfo(host, 443, type=socket.SOCK_STREAM)\n"
            "    return [info[4][0] for info in infos]\n"
        ),
        # A non-blocking socket driven through the loop.
        Valid(
            "import asyncio, socket\n\n"
            "async def ping(host, port):\n"
            "    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "    sock.setblocking(False)\n"
            "    sock.connect((host, port))\n"
            "    sock.send(b'ping')\n"
            "    return await asyncio.get_running_loop().sock_recv(sock, 64)\n"
        ),
        # A call guarded by `except BlockingIOError` is on a non-blocking socket.
        Valid(
            "import socket\n\n"
            "class Listener:\n"
            "    def __init__(self, sock: socket.socket, loop):\n"
            "        self._sock = sock\n"
            "        self._loop = loop\n\n"
            "    async def accept(self):\n"
            "        while True:\n"
            "            try:\n"
            "                client, _ = self._sock.accept()\n"
            "                return client\n"
            "            except BlockingIOError:\n"
            "                waiter = self._loop.create_future()\n"
            "                self._loop.add_reader(self._sock, waiter.set_result, None)\n"
            "                await waiter\n"
        ),
        Valid(
            "import asyncio, smtplib\n\n"
            "def send_report(body):\n"
            "    with smtplib.SMTP('mail.example.com') as smtp:\n"
            "        smtp.sendmail('bot@example.com', ['ops@example.com'], body)\n\n"
            "async def nightly(body):\n"
            "    await asyncio.to_thread(send_report, body)\n"
        ),
        # A socket object's pure methods, and an unconnected SMTP object.
        Valid(
            "import smtplib, socket\n\n"
            "async def describe(sock: socket.socket):\n"
            "    client = smtplib.SMTP()\n"
            "    return sock.getsockname(), sock.fileno(), client\n"
        ),
        # Numeric hosts only: getaddrinfo parses the address and asks no DNS server.
        Valid(
            "import socket\n\n_NUMERIC_ONLY = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV\n\n"
            "async def resolve(host, port, family):\n"
            "    try:\n"
            "        return socket.getaddrinfo(host, port, family=family, flags=_NUMERIC_ONLY)\n"
            "    except socket.gaierror:\n"
            "        return None\n"
        ),
        Valid(
            "from socket import AI_NUMERICHOST, getaddrinfo\n\n"
            "async def parse_address(host):\n"
            "    return getaddrinfo(host, None, flags=AI_NUMERICHOST)\n"
        ),
    ]
    INVALID = [
        # Other flags still resolve names.
        Invalid(
            "import socket\n\nasync def listen_addresses(host, port):\n"
            "    return socket.getaddrinfo(host, port, flags=socket.AI_PASSIVE)\n",
            line=4,
        ),
        Invalid(
            "import socket\n\n"
            "async def check_port(host, port):\n"
            "    try:\n"
            "        with socket.create_connection((host, port), timeout=2):\n"
            "            return True\n"
            "    except OSError:\n"
            "        return False\n",
            line=5, column=14, message_contains="asyncio.open_connection",
        ),
        Invalid(
            "import socket\n\nasync def lookup(host):\n    return socket.gethostbyname(host)\n",
            line=4, message_contains="loop.getaddrinfo",
        ),
        Invalid(
            "import socket\n\n"
            "async def whois(domain):\n"
            "    sock = socket.socket()\n"
            "    sock.connect(('whois.iana.org', 43))\n"
            "    sock.sendall(domain.encode() + b'\\r\\n')\n"
            "    return sock.recv(4096)\n",
            line=5, count=3,
        ),
        Invalid(
            "import socket\n\n"
            "class EchoServer:\n"
            "    def __init__(self):\n"
            "        self.listener = socket.socket()\n\n"
            "    async def serve(self):\n"
            "        conn, addr = self.listener.accept()\n"
            "        return conn, addr\n",
            line=8,
        ),
        Invalid(
            "import smtplib\nfrom email.message import EmailMessage\n\n"
            "async def send_alert(msg: EmailMessage):\n"
            "    with smtplib.SMTP_SSL('smtp.example.com', 465) as smtp:\n"
            "        smtp.login('bot', 'secret')\n"
            "        smtp.send_message(msg)\n",
            line=5, count=3, message_contains="aiosmtplib",
        ),
        Invalid(
            "from ftplib import FTP\n\n"
            "async def fetch_listing(host):\n"
            "    ftp = FTP(host)\n"
            "    ftp.login()\n"
            "    return ftp.nlst()\n",
            line=4, count=3,
        ),
    ]
