"""`make run`: one parent process that owns the servers and supervises the service.

With no DATABASE_URL / REDIS_URL it starts the embedded real PostgreSQL and Redis
under instance/ and writes their URLs to instance/servers.json, so the simulator
and `flask` commands in another terminal reach the same servers. It then migrates,
seeds the demo data and runs web (gunicorn), an RQ worker and the scheduler as
children, and on Ctrl-C or SIGTERM stops the children and then the servers
(a parent killed by SIGTERM would otherwise leave `postgres` running).
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.config import load_config
from app.embedded import start_postgres, start_redis
from app.staff.demo import DEMO_STAFF_PASSWORD, DEMO_TOTP_SECRET
from app.staff.permissions import ROLES

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
SERVERS_FILE = INSTANCE / "servers.json"
BIN = Path(sys.executable).parent


def shared_servers():
    """URLs of servers owned by a running `make run`, or {} (used by create_app)."""
    try:
        info = json.loads(SERVERS_FILE.read_text())
        os.kill(info["pid"], 0)
    except (OSError, ValueError, KeyError):
        return {}
    return {"DATABASE_URL": info["DATABASE_URL"], "REDIS_URL": info["REDIS_URL"]}


def start_servers(env):
    owned = []
    if not env.get("DATABASE_URL"):
        server, env["DATABASE_URL"] = start_postgres(INSTANCE / "postgres")
        owned.append(server.cleanup)
    if not env.get("REDIS_URL"):
        client, env["REDIS_URL"] = start_redis(INSTANCE / "redis")
        owned.append(client.shutdown)
    SERVERS_FILE.write_text(json.dumps({"pid": os.getpid(), "DATABASE_URL": env["DATABASE_URL"],
                                        "REDIS_URL": env["REDIS_URL"]}))
    return owned


def flask(*args, env):
    subprocess.run([str(BIN / "flask"), "--app", "app:create_app", *args], env=env, check=True, cwd=ROOT)


def main():
    INSTANCE.mkdir(exist_ok=True)
    env = dict(os.environ)
    config = load_config(env)
    env.update({name: config[name] for name in ("DATABASE_URL", "REDIS_URL") if config[name]})
    owned = start_servers(env)
    port = env.get("PORT", "5000")
    env.setdefault("PUBLIC_URL", f"http://127.0.0.1:{port}")
    env.setdefault("TWILIO_VALIDATE_SIGNATURE", "0")
    # Development: the published default secrets and the embedded servers are refused anywhere else
    # (app/config.py check_production); the signature switch above is honoured only here too.
    env.setdefault("APP_ENV", "development")
    flask("db", "upgrade", env=env)
    flask("demo", "seed", env=env)
    children = [
        subprocess.Popen([str(BIN / "gunicorn"), "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}",
                          "app:create_app()"], env=env, cwd=ROOT),
        subprocess.Popen([str(BIN / "python"), "-m", "app.worker", "--url", env["REDIS_URL"],
                          "high", "default", "low"], env=env, cwd=ROOT),
        subprocess.Popen([str(BIN / "flask"), "--app", "app:create_app", "scheduler", "run"], env=env, cwd=ROOT),
    ]
    print(f"\nPamoja is running on http://127.0.0.1:{port}  (Ctrl-C to stop)\n"
          "Dial it from another terminal:\n"
          "  APP_ENV=development .venv/bin/flask --app app:create_app simulate ussd --phone +254712345678\n"
          "Demo members: +254700000001 and +254700000002, PIN 2580.\n"
          f"Back-office console: http://127.0.0.1:{port}/console/  (phone simulator: /console/simulator)\n"
          f"  demo staff: {', '.join(f'demo.{role}' for role in ROLES)}\n"
          f"  password {DEMO_STAFF_PASSWORD}, TOTP key {DEMO_TOTP_SECRET}\n"
          "  current code: .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('"
          f"{DEMO_TOTP_SECRET}').now())\"\n", flush=True)

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        for cleanup in owned:
            cleanup()
        SERVERS_FILE.unlink(missing_ok=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while all(child.poll() is None for child in children):
        time.sleep(1)
    print("a service process exited; stopping", file=sys.stderr)
    stop()


if __name__ == "__main__":
    main()
