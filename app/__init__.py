"""The Flask app factory: configuration, extensions, channels and commands.

`create_app` is the composition root of the web process: it binds the database,
Redis and queues, registers the channel blueprints, installs the outbound senders
of `channels/` for the notification service, and adds the `flask` commands. With
no DATABASE_URL / REDIS_URL it starts the embedded real servers under instance/, but
only in development: outside APP_ENV=development/test it refuses to start on empty
server URLs and on missing, default or short secrets (app/config.py check_production).
"""

from pathlib import Path

from flask import Flask

from app.config import check_production, load_config
from app.embedded import sqlalchemy_url, start_postgres, start_redis
from app.extensions import db, init_redis, migrate
from app.members.identity import check_settings as check_member_settings
from app.observability import configure_logging, secret_values
from app.replica import configure as configure_replica
from app.settings import DEFAULT_PREPARE_THRESHOLD, Settings

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(test_config=None):
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
    app.config.update(load_config())
    if test_config:
        app.config.update(test_config)
    configure_logging(app.config["LOG_LEVEL"], secrets=secret_values(app.config))
    check_production(app.config)
    check_member_settings(app.config)
    settings = app.extensions["settings"] = Settings.parse(app.config)
    ensure_servers(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = sqlalchemy_url(app.config["DATABASE_URL"])
    connect_args = {"connect_timeout": 1}
    if settings.DB_PREPARE_THRESHOLD is not DEFAULT_PREPARE_THRESHOLD:
        connect_args["prepare_threshold"] = settings.DB_PREPARE_THRESHOLD  # None: PgBouncer transaction pooling
    engine_options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {
        "connect_args": connect_args,
        "pool_size": 5,
        "pool_timeout": settings.DB_POOL_TIMEOUT,  # SQLAlchemy would wait 30 s for a free one
        "pool_recycle": 1800,
    })
    configure_replica(app, engine_options)
    app.config["MAX_CONTENT_LENGTH"] = settings.MAX_CONTENT_LENGTH
    trust_proxies(app)
    install_rate_limits(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    init_redis(app)
    import_models()
    register_blueprints(app)
    register_commands(app)
    install_senders(app)
    install_engines(app)
    return app


def trust_proxies(app):
    """Behind TRUSTED_PROXIES load balancers, `request.remote_addr` is the client they saw.

    The allow-list of callback sources and the per-source rate limit must see the real
    caller, not the balancer; only as many X-Forwarded-For hops as there are proxies of
    ours are believed (a client can write any X-Forwarded-For it likes).
    """
    proxies = app.extensions["settings"].TRUSTED_PROXIES
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)


def install_rate_limits(app):
    """The rate limits channels/throttle.py applies, parsed with the settings."""
    settings = app.extensions["settings"]
    app.extensions["rate_limits"] = {"phone": settings.RATE_LIMIT_PER_PHONE, "source": settings.RATE_LIMIT_PER_SOURCE}


def ensure_servers(app):
    """Fill DATABASE_URL / REDIS_URL with embedded servers when they are not set."""
    from app.devserver import shared_servers

    for name, url in shared_servers().items():
        app.config[name] = app.config[name] or url
    data = Path(app.instance_path)
    if not app.config["DATABASE_URL"]:
        server, url = start_postgres(data / "postgres")
        app.extensions["embedded_postgres"] = server
        app.config["DATABASE_URL"] = url
    if not app.config["REDIS_URL"]:
        client, url = start_redis(data / "redis")
        app.extensions["embedded_redis"] = client
        app.config["REDIS_URL"] = url


def import_models():
    """Import every domain's models so metadata (and Alembic) sees all tables."""
    from app import models  # noqa: F401


def register_blueprints(app):
    from app.health import bp as health_bp
    from channels import blueprints

    app.register_blueprint(health_bp)
    for blueprint in blueprints():
        app.register_blueprint(blueprint)


def register_commands(app):
    from app.cli import commands

    for command in commands():
        app.cli.add_command(command)


def install_engines(app):
    """One menu engine per tree, sharing the Redis session store."""
    from app.secrets import MENU_INPUT_DIGEST, app_key
    from menus.agent import AGENT_TREE
    from menus.engine import Engine
    from menus.member import MEMBER_TREE
    from menus.session import SessionStore

    store = SessionStore(app.extensions["redis"])
    options = {"secret": app_key(app.config, MENU_INPUT_DIGEST),
               "max_errors": app.extensions["settings"].MAX_INPUT_ERRORS,
               "default_locale": app.config["DEFAULT_LOCALE"]}
    app.extensions["engines"] = {"member": Engine(MEMBER_TREE, store, **options),
                                 "agent": Engine(AGENT_TREE, store, **options)}


def install_senders(app):
    """Give the notification service the channels' outbound senders."""
    from channels.senders import build_senders

    app.extensions["senders"] = build_senders(app.config)
