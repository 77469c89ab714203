"""``python -m asyncheck``."""

from asyncheck.cli import main

main()
