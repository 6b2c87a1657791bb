"""The dashboard: a web UI served by the gateway itself (plain HTML, CSS and ES modules; no
build step, no CDN). It reads only the REST API, with the signed-in token."""

from c2net.dashboard.routes import STATIC_DIR, router

__all__ = ["STATIC_DIR", "router"]
