"""ACK240 and sockets switched to non-blocking mode: which receiver, where, by which call."""

from __future__ import annotations

import pytest

from asyncheck.doors.testing import lint_source


def lines(source: str) -> list[int]:
    return [d.line for d in lint_source(source, codes=("ACK240",))]


@pytest.mark.parametrize("switch", [
    "sock.setblocking(False)",
    "sock.setblocking(0)",
    "sock.settimeout(0)",
    "sock.settimeout(0.0)",
    "sock.settimeout(0x0)",
])
def test_switch_in_the_function_makes_its_calls_non_blocking(switch: str) -> None:
    source = ("import socket\n\nasync def ping(sock: socket.socket):\n"
              f"    {switch}\n    sock.send(b'x')\n    sock.recv(1)\n")
    assert lines(source) == []


@pytest.mark.parametrize("switch", [
    "sock.setblocking(True)",
    "sock.settimeout(1)",
    "sock.settimeout(None)",
    "other.setblocking(False)",
    "sock.setblocking()",
])
def test_other_calls_do_not(switch: str) -> None:
    source = ("import socket\n\nasync def ping(sock: socket.socket, other):\n"
              f"    {switch}\n    sock.send(b'x')\n")
    assert lines(source) == [5]


def test_each_receiver_of_one_function_is_judged_on_its_own() -> None:
    """The function is examined once for all its calls; the answer is per receiver."""
    source = ("import socket\n\nasync def relay(a: socket.socket, b: socket.socket):\n"
              "    a.setblocking(False)\n    a.send(b'x')\n    b.send(b'x')\n"
              "    a.recv(1)\n    b.recv(1)\n")
    assert lines(source) == [6, 8]


def test_self_attribute_switched_in_another_method_of_the_class() -> None:
    source = ("import socket\n\nclass Client:\n"
              "    def __init__(self):\n        self.sock = socket.socket()\n"
              "        self.sock.setblocking(False)\n"
              "        self.other = socket.socket()\n\n"
              "    async def send(self):\n        self.sock.send(b'x')\n"
              "        self.other.send(b'x')\n")
    assert lines(source) == [11]


def test_local_switched_in_another_function_still_blocks() -> None:
    source = ("import socket\n\ndef setup(sock):\n    sock.setblocking(False)\n\n"
              "async def ping(sock: socket.socket):\n    sock.send(b'x')\n")
    assert lines(source) == [7]


@pytest.mark.parametrize("caught", [
    "BlockingIOError",
    "(OSError, BlockingIOError)",
    "ssl.SSLWantReadError",
])
def test_calls_guarded_by_blocking_io_error(caught: str) -> None:
    source = ("import socket, ssl\n\nasync def read(sock: socket.socket, other: socket.socket):\n"
              "    try:\n        data = sock.recv(1)\n"
              f"    except {caught}:\n        data = None\n"
              "    other.recv(1)\n")
    assert lines(source) == [8]


@pytest.mark.parametrize(("timeout", "reported"), [
    ("0x10", True), ("0o7", True), ("0b1", True), ("1_000", True), ("0x0", False), ("0.0", False),
])
def test_timeouts_written_in_any_base_are_read_not_crashed_on(timeout: str, reported: bool) -> None:
    # A worker draining a job queue; int() of "0x10" used to raise inside the blocking
    # table's matcher, an internal error that switched off every ACK2xx rule for the file.
    source = ("import queue\n\nasync def drain(jobs: queue.Queue):\n"
              f"    return jobs.get(True, {timeout})\n")
    found = lint_source(source, codes=("ACK000", "ACK270"))
    assert [d.code for d in found] == (["ACK270"] if reported else [])
