"""The baseline: a bare Flask hop doing what a menu hop must at least do.

The callback token check, one Redis GET, one indexed PostgreSQL SELECT, one Redis SET,
on the same gunicorn settings as the real app: bench/ussd_load.py divides our hop cost
by this one's.
"""

import hmac
import os

from flask import Flask, Response, request
from redis import Redis
from sqlalchemy import create_engine, text

from app.embedded import sqlalchemy_url


def create_bare_app():
    app = Flask(__name__)
    engine = create_engine(sqlalchemy_url(os.environ["DATABASE_URL"]), pool_size=5)
    redis = Redis.from_url(os.environ["REDIS_URL"])
    token = os.environ["CALLBACK_TOKEN"].encode()

    @app.post("/bare")
    def bare():
        if not hmac.compare_digest(request.args.get("token", "").encode(), token):
            return Response("forbidden", status=403, mimetype="text/plain")
        session_id = request.form.get("sessionId", "")
        state = redis.get(f"bare:{session_id}")
        with engine.connect() as conn:
            row = conn.execute(text("SELECT id, name FROM members WHERE phone = :phone"),
                               {"phone": request.form.get("phoneNumber", "")}).first()
        redis.set(f"bare:{session_id}", (state or b"") + b"1", ex=180)
        return Response(f"CON {row[1] if row else 'none'}", mimetype="text/plain")

    return app
