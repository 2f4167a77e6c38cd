"""create_app(store, token): the dashboard as an ASGI app, with no global state (as
optuna-dashboard's create_app(storage)): tests and benchmarks make as many as they like."""

from __future__ import annotations

import contextlib
import threading

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from . import api, assets, live


def create_app(store, token: str | None = None, poll_s: float = live.POLL_S, hosts=None) -> Starlette:
    """The app over `store`; control actions need `token` (None: nobody may control).

    hosts: the Host headers it answers (None: any). A server on 127.0.0.1 answers only
    127.0.0.1 and localhost, so a web page whose domain is re-pointed at 127.0.0.1 (DNS
    rebinding) cannot read the store through the visitor's browser."""

    @contextlib.asynccontextmanager
    async def lifespan(app):
        # scikit-learn and scipy take seconds to import: the importance panel's first answer
        # should not wait for them.
        threading.Thread(target=_warm_up, daemon=True).start()
        yield
        await app.state.watcher.stop()

    routes = [
        Route("/", assets.shell),
        Route("/static/{name}", assets.static),
        Route("/static/{tag}/{name}", assets.static),
        Route("/api/overview", api.overview),
        Route("/api/sweeps/{sweep_id}", api.sweep),
        Route("/api/sweeps/{sweep_id}/live", api.sweep_live),
        Route("/api/sweeps/{sweep_id}/curves", api.sweep_curves),
        Route("/api/sweeps/{sweep_id}/importance", api.sweep_importance),
        Route("/api/sweeps/{sweep_id}/{action}", api.control, methods=["POST"]),
        Route("/api/runs", api.runs),
        Route("/api/runs/curves", api.runs_curves),
        Route("/api/runs/{run_id}", api.run),
        Route("/api/project", api.project),
        Route("/api/compare", api.compare),
        Route("/api/events", live.events),
    ]
    async def not_here(request, exc: HTTPException):
        # /api/... answers in JSON even for a path it does not have or a wrong method.
        if request.url.path.startswith("/api/"):
            return api.error(exc.status_code, f"{exc.detail}: {request.method} {request.url.path}")
        return PlainTextResponse(exc.detail, status_code=exc.status_code)

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: not_here},
                    middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts or ["*"])),
                                Middleware(GZipMiddleware, minimum_size=1000, compresslevel=5)])
    app.state.store = store
    app.state.token = token
    app.state.watcher = live.Watcher(store, poll_s)
    app.state.importance = {}  # sweep ID -> (what it was computed from, the analysis)
    return app


def _warm_up():
    try:
        import scipy.stats  # noqa: F401
        import sklearn.ensemble  # noqa: F401
    except ImportError:
        pass
