"""The one HTML page both renderings share: a shell the page script fills from data.

The dashboard links its style, plotly.js and the page script (served by `sweeper ui`); the
offline report puts all of them inline, with the data in a JSON <script> element whose every
'<' is written \\u003c (escape.script_json), so no value can end it. Nothing from a sweep is
put into the HTML here except the title, escaped: the script shows every value as text.
"""

from __future__ import annotations

import re
from importlib import resources

from .escape import esc, script_json

# The page script, in the order the browser runs them.
SCRIPTS = ("util.js", "charts.js", "table.js", "views.js", "sweep.js", "app.js")


def asset(name: str) -> str:
    return resources.files("sweeper.report").joinpath("static", name).read_text(encoding="utf-8")


def page(title: str, data_json: str, inline: bool, footer: str = "", plotly_src: str = "static/plotly.js",
         asset_prefix: str = "static/") -> str:
    """The page. inline=True: style and scripts in the file (plotly.js from the plotly package)."""
    if inline:
        from plotly.offline import get_plotlyjs

        style = f"<style>{asset('app.css')}</style>"
        scripts = [f"<script>{get_plotlyjs()}</script>"] + [f"<script>{asset(n)}</script>" for n in SCRIPTS]
    else:
        style = f'<link rel="stylesheet" href="{asset_prefix}app.css">'
        scripts = [f'<script src="{plotly_src}"></script>'] + [f'<script src="{asset_prefix}{n}"></script>'
                                                               for n in SCRIPTS]
    fill = {"TITLE": esc(title), "STYLE": style, "FOOTER": esc(footer), "DATA": script_json(data_json),
            "SCRIPTS": "\n".join(scripts)}
    template = resources.files("sweeper.report").joinpath("template.html").read_text(encoding="utf-8")
    # One pass, so nothing substituted is ever scanned for another placeholder.
    return re.sub(r"@@([A-Z_]+)@@", lambda m: fill[m.group(1)], template)
