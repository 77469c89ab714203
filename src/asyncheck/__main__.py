"""``python -m asyncheck``."""

from asyncheck.doors.cli import main

main()
