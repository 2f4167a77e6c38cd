"""The JSON API: what each page reads, from sweeper/results/views.py, and the control actions.

Every handler is a plain function of the request that returns data; `json_api` runs it in a
worker thread (the store's calls block) and turns what it returns into strict JSON, and every
error into {"error": {"status", "message"}} with its HTTP status, never a traceback:
404 for an unknown sweep or run, 400 for a bad query, 403 without the token, 409 for a move
the sweep's state does not allow, 503 when the store does not answer, 500 otherwise.

The page sends X-Sweeper-Not-Found: in-body, and a missing sweep, run or reference is then
answered 200 with {"not_found": {"status": 404, "message"}}: the page says "no sweep X" itself,
and the browser logs no failed request on its console. Other clients get the 404.
"""

from __future__ import annotations

import functools
import logging
import sys

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from ..results import curves, views
from ..results import rows as results
from ..results.rows import strict_json
from ..store import NotFound, StoreError, StoreUnavailable
from ..store.control import MOVES, MoveRefused, move
from ..store.ids import BadId
from .auth import token_ok

log = logging.getLogger("sweeper.ui")
NOT_FOUND_HEADER = "x-sweeper-not-found"
MAX_IDS = 1_000  # runs one request may name (the compare view, a live page's changed runs)


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message}}, status_code=status)


def not_found(request, message: str) -> JSONResponse:
    if request.headers.get(NOT_FOUND_HEADER) == "in-body":
        return JSONResponse({"not_found": {"status": 404, "message": message}})
    return error(404, message)


def json_api(handler):
    @functools.wraps(handler)
    async def endpoint(request):
        try:
            data = await run_in_threadpool(handler, request)
        except ApiError as exc:
            return not_found(request, str(exc)) if exc.status == 404 else error(exc.status, str(exc))
        except (NotFound, BadId) as exc:
            return not_found(request, str(exc))
        except MoveRefused as exc:
            return error(409, str(exc))
        except StoreUnavailable as exc:
            return error(503, str(exc))
        except StoreError as exc:
            return error(500, str(exc))
        except Exception as exc:  # noqa: BLE001 - a bug is a JSON error too; its traceback goes to the log
            log.exception("error in %s", request.url.path)
            print(f"sweeper ui: error in {request.url.path}: {type(exc).__name__}: {exc}", file=sys.stderr)
            return error(500, f"internal error: {type(exc).__name__}")
        return JSONResponse(strict_json(data))
    return endpoint


def _ids(request) -> list[str]:
    ids = [i for i in request.query_params.get("ids", "").split(",") if i]
    if len(ids) > MAX_IDS:
        raise ApiError(400, f"at most {MAX_IDS} run IDs at once; got {len(ids)}")
    return ids


def _keys(request) -> list[str] | None:
    raw = request.query_params.get("keys")
    return None if raw is None else [k for k in raw.split(",") if k]


def _sweep(request) -> dict:
    return request.app.state.store.get_sweep(request.path_params["sweep_id"])


@json_api
def overview(request):
    return views.overview(request.app.state.store)


@json_api
def sweep(request):
    return views.sweep_page(request.app.state.store, _sweep(request))


@json_api
def sweep_live(request):
    """The head of a sweep page and the rows of the runs that changed (?ids=), for live updates."""
    store = request.app.state.store
    sw = _sweep(request)
    ids = _ids(request)
    runs = [r for r in store.runs_by_id(ids) if r["sweep_id"] == sw["id"] and not r["superseded"]]
    return views.sweep_head(store, sw) | {"rows": views.page_rows(sw, runs)}


@json_api
def sweep_curves(request):
    """?keys=K1,K2...: those keys of every run's lines; ?x=KEY: that key and the sweep's metric
    (what a sweep page first draws, asked for before it knows the metric)."""
    store = request.app.state.store
    sw = _sweep(request)
    metric = results.sweep_metric(sw).name
    keys = _keys(request)
    if keys is None and request.query_params.get("x"):
        keys = [request.query_params["x"]] + ([metric] if metric else [])
    if keys is None:
        raise ApiError(400, "name the keys: ?keys=_step,loss (or ?x=_step for the x and the sweep's metric)")
    rows = views.page_rows(sw, results.live_runs(store.runs(sw["id"])))
    return curves.sweep_curves(store, sw["id"], rows, metric, keys) | {"keys": keys}


@json_api
def sweep_importance(request):
    """The importance analysis, computed again only when the sweep's runs have changed in a way
    it could see (their counts by state, the best value): a forest costs seconds."""
    from ..results.importance import analyze

    store, cache = request.app.state.store, request.app.state.importance
    sw = _sweep(request)
    metric = results.sweep_metric(sw)
    key = (tuple(sorted(store.count_runs(sw["id"]).items())),
           store.best_value(sw["id"], metric.maximize) if metric.name else None)
    if sw["id"] in cache and cache[sw["id"]][0] == key:
        return cache[sw["id"]][1]
    rows = results.run_rows(sw, results.live_runs(store.runs(sw["id"])))
    try:
        out = analyze(sw, rows, metric).to_dict()
    except ImportError as exc:
        return {"params": [], "note": f"importance needs {exc.name}: pip install 'sweeper[report]'"}
    cache[sw["id"]] = (key, out)
    return out


@json_api
def runs(request):
    return views.runs_page(request.app.state.store, _ids(request))


@json_api
def compare(request):
    """GET /api/compare?refs=RUN,SWEEP,project:NAME: `sweeper compare`'s references."""
    from ..results.compare import BadReference

    refs = [r for r in request.query_params.get("refs", "").split(",") if r]
    if not refs:
        raise ApiError(400, "name what to compare: ?refs=RUN_ID,SWEEP_ID,project:NAME")
    try:
        return views.compare_page(request.app.state.store, refs)
    except BadReference as exc:
        raise ApiError(404, str(exc)) from None


@json_api
def runs_curves(request):
    store = request.app.state.store
    page = views.runs_page(store, _ids(request))
    metric = request.query_params.get("metric") or None
    return curves.run_curves(store, page["rows"], metric, _keys(request))


@json_api
def run(request):
    return views.run_page(request.app.state.store, request.path_params["run_id"])


@json_api
def project(request):
    name = request.query_params.get("name")
    return views.project_page(request.app.state.store, name)


@json_api
def control(request):
    """POST /api/sweeps/ID/ACTION with the token: pause, resume, stop or cancel the sweep."""
    action = request.path_params["action"]
    if action not in MOVES:
        raise ApiError(404, f"no action '{action}': use {', '.join(MOVES)}")
    if not token_ok(request, request.app.state.token):
        raise ApiError(403, "control needs the token that `sweeper ui` printed (open the URL it printed)")
    sw = move(request.app.state.store, request.path_params["sweep_id"], action)
    return {"id": sw["id"], "state": sw["state"], "reason": sw.get("ended_reason")}
