"""The web face: dashboard pages (Jinja2 + htmx) and their JSON twins under /api/v1 (FastAPI).

`create_app(settings)` builds the application on a warehouse opened read-only; `serve(...)`
runs it with uvicorn. The core never imports this package.
"""

from leviers.web.app import create_app
from leviers.web.server import serve
from leviers.web.settings import WebSettings

__all__ = ["WebSettings", "create_app", "serve"]
