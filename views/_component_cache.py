"""Browsers keep the grid's script between mounts: the component's fingerprinted files are served cacheable.

Streamlit 1.67 serves a custom component's files with ``Cache-Control: public`` and no validator or age,
so a browser fetches the grid's 4.7 MB script again each time a grid iframe is mounted (every tab switch,
every server page), and the server gzips it again at level 9 on its event loop each time
(docs/reference/streamlit-aggrid.md §5.10). A file whose name carries its content's hash
(``main.f4bb7ae6.js``) cannot change under the same name, so it is marked cacheable for a year; the
component's page and its other files keep Streamlit's headers.
"""

from __future__ import annotations

import logging
import re

_LOG = logging.getLogger(__name__)

# /component/<component name>/.../<name>.<8+ hex digits of its content>.js|css, under any base path.
FINGERPRINTED = re.compile(r"/component/[^/]+/(?:.+/)?[^/]+\.[0-9a-f]{8,}\.(?:js|css)$")
FOR_A_YEAR = b"public, max-age=31536000, immutable"
_MARK = "_workbench_caches_component_assets"


def cache_fingerprinted_component_files() -> bool:
    """Wrap the server's gzip layer (every response passes it) once per process; True when in place.

    Without the expected layer (another Streamlit version) nothing changes: the grid still works, only
    slower to mount.
    """
    try:
        from streamlit.web.server.starlette import starlette_gzip_middleware as gzip_layer
    except ImportError:
        _LOG.warning("component files keep Streamlit's cache headers: no gzip layer module found")
        return False
    layer = getattr(gzip_layer, "SelectiveGZipMiddleware", None)
    if layer is None:
        _LOG.warning("component files keep Streamlit's cache headers: no SelectiveGZipMiddleware")
        return False
    if getattr(layer, _MARK, False):
        return True
    serve = layer.__call__

    async def serve_cacheable(self, scope, receive, send):
        if scope.get("type") != "http" or not FINGERPRINTED.search(scope.get("path", "")):
            await serve(self, scope, receive, send)
            return

        async def send_cacheable(message):
            if message.get("type") == "http.response.start" and message.get("status") == 200:
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                message = {**message, "headers": [*headers, (b"cache-control", FOR_A_YEAR)]}
            await send(message)

        await serve(self, scope, receive, send_cacheable)

    layer.__call__ = serve_cacheable
    setattr(layer, _MARK, True)
    return True
