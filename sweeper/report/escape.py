"""Escaping for the report: every string from a sweep reaches the page as text, never markup."""

from __future__ import annotations

import html
import json


def esc(value) -> str:
    """Text for HTML and for plotly (which renders <b>, <br> ... in text): shown as written."""
    return html.escape(text_of(value), quote=True)


def text_of(value) -> str:
    if isinstance(value, str):
        return value
    from ..results.format import number

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value)
    return json.dumps(value, default=str) if isinstance(value, (list, dict)) else str(value)


def script_json(obj_json: str) -> str:
    """JSON text made safe inside <script>: no '</script>', no '<!--', whatever the values."""
    return (obj_json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
