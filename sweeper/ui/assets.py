"""The page and its files: the shell (report/shell.py), the page script and style, and plotly.js
from the installed plotly package (never a CDN: the dashboard works with no network).

plotly.js is 4.6 MB: it is read and gzipped once per server, served under its version's name
with a year's caching, so a browser fetches it once per plotly version.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from functools import lru_cache

from starlette.responses import HTMLResponse, PlainTextResponse, Response

from ..report.shell import SCRIPTS, asset, page

TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


@lru_cache(maxsize=1)
def plotly_js() -> tuple[str, bytes, bytes]:
    """(version, the script, the script gzipped)."""
    import plotly
    from plotly.offline import get_plotlyjs

    body = get_plotlyjs().encode("utf-8")
    return plotly.__version__, body, gzip.compress(body, 6)


def shell(request) -> HTMLResponse:
    version = plotly_js()[0]
    boot = {"mode": "live", "store": request.app.state.store.display_url}
    html = page("sweeper", json.dumps(boot), inline=False, plotly_src=f"static/plotly-{version}.js",
                asset_prefix=f"static/{_assets_tag()}/")
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


@lru_cache(maxsize=1)
def _assets_tag() -> str:
    """A name that changes with the page's files, so a browser never keeps an old script."""
    digest = hashlib.sha1()
    for name in SCRIPTS + ("app.css",):
        digest.update(asset(name).encode())
    return digest.hexdigest()[:10]


def static(request) -> Response:
    name = request.path_params["name"]
    if name.startswith("plotly-") and name.endswith(".js"):
        version, body, zipped = plotly_js()
        if name != f"plotly-{version}.js":
            return PlainTextResponse("not found", status_code=404)
        headers = {"Cache-Control": "public, max-age=31536000, immutable"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(zipped, media_type=TYPES[".js"], headers=headers)
        return Response(body, media_type=TYPES[".js"], headers=headers)
    if name not in SCRIPTS + ("app.css",):
        return PlainTextResponse("not found", status_code=404)
    cache = "public, max-age=31536000, immutable" if request.path_params.get("tag") == _assets_tag() else "no-cache"
    return Response(asset(name), media_type=TYPES["." + name.rsplit(".", 1)[1]], headers={"Cache-Control": cache})
