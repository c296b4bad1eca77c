"""What the web server answers besides the pages: Streamlit's own endpoints that must not be
served to visitors who did not sign in.

Streamlit serves `/_stcore/metrics` (sessions, caches, memory) to anyone and has no option
to turn it off; `serve.py` runs the app with `ClosedEndpoints` in front of it, which answers
404 there. The health check (`/_stcore/health`) stays open: a proxy or a supervisor needs it.
"""

from __future__ import annotations

from typing import Any

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
