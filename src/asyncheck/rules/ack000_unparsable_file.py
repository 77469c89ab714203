"""ACK000 unparsable-file."""

from __future__ import annotations

from asyncheck.lint import Invalid, Rule, Valid


class UnparsableFile(Rule):
    """
    ## What it does
    Reports a file that asyncheck could not analyse: a syntax error, bytes that do not decode
    in the file's declared encoding, a NUL byte, a construct libcst's parser rejects (such
    as `(x): int = 1`), an expression or `elif` chain nested more than about 1,000 levels
    deep (libcst's parser would crash or take very long), or a file over 5 MB (a top-level
    statement over 2 MB). The message gives the reason and position.

    ## Why is this bad?
    No rule can look at a file that cannot be parsed, so every pitfall in it goes unreported.
    A file Python itself rejects also fails at import time. The rest of the run goes on: one
    bad file never hides the findings of the others.

    ## Example
    ```python
    async def fetch(session, url)
        return await session.get(url)
    ```

    ## Use instead
    ```python
    async def fetch(session, url):
        return await session.get(url)
    ```
    """

    code = "ACK000"
    name = "unparsable-file"
    message = "cannot parse: {reason}"

    VALID = [
        Valid("async def fetch(session, url):\n    return await session.get(url)\n"),
        Valid("# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\n"),
    ]
    INVALID = [
        Invalid("async def fetch(session, url)\n    return await session.get(url)\n", line=1, column=30),
        Invalid("(x): int = 1\n", line=1),
        Invalid("print 'hello'\n", line=1),
    ]
