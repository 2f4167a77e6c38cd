"""Start the dashboard: bind the port first (a clear error when it is taken), print the URL
with its token, then let uvicorn serve until Ctrl+C or SIGTERM."""

from __future__ import annotations

import socket

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one). OSError when it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(host: str, port: int, token: str | None = None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def serve(store, sock: socket.socket, token: str | None, announce) -> None:
    """Serve the dashboard of `store` on `sock`; announce(url) once it is bound."""
    import uvicorn

    from .app import create_app

    host, port = sock.getsockname()[:2]
    local = host in LOOPBACK
    app = create_app(store, token, hosts=["127.0.0.1", "localhost", "::1", "[::1]"] if local else None)
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=1,
                            lifespan="on")
    announce(url_of(host, port, token))
    uvicorn.Server(config).run(sockets=[sock])
