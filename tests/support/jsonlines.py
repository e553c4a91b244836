"""Reading a JSON-lines file that a daemon may be writing at the same time.

A reader can see the first part of a record whose write has not finished
(no atomicity between write() and read() on a regular file): only lines
that end in a newline are complete, a partial last line is left for the
next read."""

import json
import os


def read_complete(path):
    """The records of every complete line of `path` ([] if it does not exist)."""
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        data = f.read()
    complete = data[:data.rfind(b"\n") + 1]
    return [json.loads(line) for line in complete.decode("utf-8").splitlines() if line.strip()]
