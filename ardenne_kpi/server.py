"""What the web server answers besides the pages: Streamlit's own endpoints that must not be
served to visitors who did not sign in, and the route that writes the session cookie
(`session_routes`, see core/sessions.py).

Streamlit serves `/_stcore/metrics` (sessions, caches, memory) to anyone and has no option
to turn it off; `serve.py` runs the app with `ClosedEndpoints` in front of it, which answers
404 there. The health check (`/_stcore/health`) stays open: a proxy or a supervisor needs it.
"""

from __future__ import annotations

from typing import Any

from ardenne_kpi.core import links, sessions

CLOSED_PATHS = ("/_stcore/metrics",)


def is_closed(path: str) -> bool:
    """True for a path the server refuses, whatever the base URL path in front of it."""
    path = "/" + path.strip("/")
    return any(path == closed or path.endswith(closed) for closed in CLOSED_PATHS)


class ClosedEndpoints:
    """ASGI middleware: 404, with no body worth reading, for the CLOSED_PATHS."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and is_closed(scope.get("path", "")):
            await send(
                {
                    "type": "http.response.start",
                    "status": 404,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                }
            )
            await send({"type": "http.response.body", "body": b"Not Found"})
            return
        await self.app(scope, receive, send)


# ---------------------------------------------------------------- the session cookie


async def _session(request: Any) -> Any:
    """POST a token (core/sessions): the cookie that keeps it, once verified; DELETE: the
    session signed out and its cookie removed. Refused without the guard header, which
    another site cannot send (see sessions.GUARD_HEADER)."""
    from starlette.responses import Response

    if request.headers.get(sessions.GUARD_HEADER) != "1":
        return Response(status_code=403)
    client = request.client.host if request.client else None
    base = links.visitor_base(None, request.headers, client)
    secure = request.url.scheme == "https" or (base or "").startswith("https:")
    if request.method == "DELETE":
        sessions.sign_out(request.cookies.get(sessions.COOKIE))
        answer = Response(status_code=204)
        answer.headers["set-cookie"] = sessions.cookie_header(None, secure=secure)
        return answer
    token = (await request.body()).decode("ascii", "replace").strip()
    if sessions.verify(token) is None:
        return Response(status_code=403)
    answer = Response(status_code=204)
    answer.headers["set-cookie"] = sessions.cookie_header(token, secure=secure)
    answer.headers["cache-control"] = "no-store"
    return answer


def session_routes(base_path: str = "") -> list[Any]:
    """The route that writes and removes the session cookie, for `st.App(routes=...)`, under
    Streamlit's `server.baseUrlPath` (`base_path`), where the page sends its request."""
    from starlette.routing import Route

    prefix = "/" + base_path.strip("/") if base_path.strip("/") else ""
    return [Route(prefix + sessions.ROUTE, _session, methods=["POST", "DELETE"])]
