"""Reading a server-sent-events body back into (event, data) pairs, as a browser's EventSource would."""

from __future__ import annotations

import json


def sse_events(body: str) -> list[tuple[str, dict]]:
    """Each `event:`/`data:` block of `body` as its event name and its JSON data, in order."""
    out = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        out.append((lines["event"], json.loads(lines["data"])))
    return out
