"""Escaping for the pages' HTML shell. Values from a sweep never reach the HTML itself: the page
script shows them as text (and HTML-escapes what it gives plotly, report/static/util.js S.esc);
what Python writes into the shell is the title, escaped, and the data, as JSON safe in <script>."""

from __future__ import annotations

import html


def esc(value) -> str:
    """Text for HTML, shown as written."""
    return html.escape(str(value), quote=True)


def script_json(obj_json: str) -> str:
    """JSON text made safe inside <script>: no '</script>', no '<!--', whatever the values."""
    return (obj_json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
