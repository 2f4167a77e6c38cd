"""The token that guards control actions, as Jupyter's: printed at start-up, in the URL.

Read-only pages need no token: anyone who can reach the port can already read the store's
files. Pausing, stopping or cancelling a sweep needs it, sent as the X-Sweeper-Token header
(the page reads it from its URL's ?token= once and keeps it in localStorage, for this origin
alone: every tab of the dashboard is then allowed; a token the server refuses is forgotten). A header, not a cookie: another site's page
in the same browser cannot send a custom header without CORS, which this server never grants.
"""

from __future__ import annotations

import hmac
import secrets

HEADER = "x-sweeper-token"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_ok(request, token: str | None) -> bool:
    if not token:
        return False
    given = request.headers.get(HEADER, "")
    return hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8"))
