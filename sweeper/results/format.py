"""Values as people read them: numbers to 6 significant digits, durations, timestamps.

Shared by the terminal (cli/render.py) and the HTML report, so both show the same figure.
"""

from __future__ import annotations

import math
import time


def when(ts: float | None) -> str:
    if ts is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def iso(ts: float | None) -> str | None:
    """A timestamp as ISO 8601 in UTC (2026-12-01T16:45:32.123Z), for JSON beside the number."""
    if ts is None:
        return None
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def with_iso(record: dict, keys=("created_at", "started_at", "ended_at")) -> dict:
    """record with KEY_iso beside each timestamp KEY it has: scripts read either."""
    out = dict(record)
    for key in keys:
        if key in record:
            out[f"{key}_iso"] = iso(record[key])
    return out


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(int(seconds), 60)
    if m < 60:
        return f"{m}m{s:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m"


def number(x) -> str:
    if x is None:
        return ""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    if isinstance(x, float):
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return f"{x:.6g}"
    return str(x)


def printable(text) -> str:
    """Text safe for a terminal: control characters (ESC, BEL, a carriage return...) written as
    escapes, so a value from a sweep file or a program cannot recolour or retitle the terminal."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def params_line(params: dict, limit: int = 300) -> str:
    """{"opt": {"lr": 0.1}, "bs": 8} -> "opt.lr=0.1 bs=8", cut at `limit` characters."""
    flat: list[str] = []

    def walk(d, prefix):
        for k, v in d.items():
            if isinstance(v, dict) and v:
                walk(v, f"{prefix}{k}.")
            else:
                flat.append(f"{prefix}{k}={v}")

    walk(params or {}, "")
    line = printable(" ".join(flat))
    return line if len(line) <= limit else line[: limit - 3] + "..."


def shell_join(argv) -> str:
    """argv as one line to paste into a shell: shlex quoting, and bash's $'...' for an argument
    with control characters (shlex would put them in the terminal raw)."""
    import shlex

    def one(arg: str) -> str:
        arg = str(arg)
        if arg.isprintable():
            return shlex.quote(arg)
        body = "".join(c if c.isprintable() and c not in "'\\" else
                       ("\\" + c if c in "'\\" else repr(c)[1:-1]) for c in arg)
        return f"$'{body}'"

    return " ".join(one(a) for a in argv)
