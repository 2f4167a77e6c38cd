"""Live updates by server-sent events: one poll of the store feeds every open page.

A background task asks the store for its change mark (store/reads.change_mark: one row of
counts and maxima, a few milliseconds at 10,000 runs) every POLL_S seconds while a page
listens, and wakes the pages' streams when it moves. A sweep's stream then compares its runs'
marks (state, line count) with what it last sent and names the runs that changed, so the page
asks for those rows and curves alone; any other page is told only that something changed.
A metric line stored by an agent (every 0.5 s) reaches the page within about a second.
"""

from __future__ import annotations

import asyncio
import json

from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from ..store import StoreError

POLL_S = 0.5
KEEPALIVE_S = 15.0


class Watcher:
    """The store's change mark, polled while anyone listens; `version` counts its moves."""

    def __init__(self, store, poll_s: float = POLL_S):
        self.store, self.poll_s = store, poll_s
        self.version = 0
        self.listeners = 0
        self.error: str | None = None
        self._mark = None
        self._changed: asyncio.Event | None = None
        self._task: asyncio.Task | None = None

    def _start(self):
        if self._task is None or self._task.done():
            self._changed = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._poll())

    async def _poll(self):
        while self.listeners > 0:
            try:
                mark = await run_in_threadpool(self.store.change_mark)
                error = None
            except StoreError as exc:
                mark, error = self._mark, str(exc)
            if mark != self._mark or error != self.error:
                self._mark, self.error = mark, error
                self.version += 1
                self._changed.set()
                self._changed = asyncio.Event()
            await asyncio.sleep(self.poll_s)

    async def wait(self, seen: int, timeout: float) -> int:
        """The version once it differs from `seen`, or after `timeout` s."""
        self._start()
        if self.version == seen:
            try:
                await asyncio.wait_for(self._changed.wait(), timeout)
            except asyncio.TimeoutError:
                pass
        return self.version

    async def stop(self):
        if self._task is not None:
            self._task.cancel()


def _event(kind: str, data: dict) -> str:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n"


async def events(request) -> StreamingResponse:
    """GET /api/events[?sweep=ID]: `change` events ({"runs": [IDs]} for a sweep's page)."""
    watcher: Watcher = request.app.state.watcher
    store = request.app.state.store
    sweep_id = request.query_params.get("sweep")

    async def stream():
        watcher.listeners += 1
        marks = await run_in_threadpool(store.run_marks, sweep_id) if sweep_id else None
        seen = watcher.version
        try:
            yield _event("hello", {"version": seen})
            while not await request.is_disconnected():
                version = await watcher.wait(seen, KEEPALIVE_S)
                if version == seen:
                    yield ": keep-alive\n\n"
                    continue
                seen = version
                if watcher.error:
                    yield _event("store", {"error": watcher.error})
                    continue
                if sweep_id is None:
                    yield _event("change", {"version": version})
                    continue
                try:
                    now = await run_in_threadpool(store.run_marks, sweep_id)
                except StoreError as exc:
                    yield _event("store", {"error": str(exc)})
                    continue
                changed = [rid for rid, mark in now.items() if marks.get(rid) != mark]
                gone = [rid for rid in marks if rid not in now]
                marks = now
                yield _event("change", {"version": version, "runs": changed, "gone": gone})
        finally:
            watcher.listeners -= 1

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
