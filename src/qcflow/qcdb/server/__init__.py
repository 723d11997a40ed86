"""The QCDB server: any Repository over the CCDB REST API (starlette pieces + uvicorn).

- :mod:`~qcflow.qcdb.server.app` -- :func:`create_app`, the ASGI app: dispatch on the first URL
  element, errors to statuses, guards around it.
- :mod:`~qcflow.qcdb.server.routes` -- one handler per endpoint (object GET/HEAD/POST/PUT/DELETE/
  MOVE, ``/download``, ``/browse``, ``/latest``, ``/truncate``).
- :mod:`~qcflow.qcdb.server.listing` -- listing formats: JSON (both key styles), XML, HTML, text.
- :mod:`~qcflow.qcdb.server.guards` -- read-only mode, write token, body size limit.
- :mod:`~qcflow.qcdb.server.http` -- the reply type, header parsing, byte ranges.
- :mod:`~qcflow.qcdb.server.openapi` -- the OpenAPI description at ``/openapi.json``.
- :mod:`~qcflow.qcdb.server.protocol` -- uvicorn settings that send header names as spelled
  (the C++ CCDB client looks them up by exact name).
- :mod:`~qcflow.qcdb.server.run` -- :func:`serve`: uvicorn, one or several worker processes.
"""

from __future__ import annotations

from qcflow.qcdb.server.app import create_app
from qcflow.qcdb.server.run import ServeConfig, serve

__all__ = ["ServeConfig", "create_app", "serve"]
