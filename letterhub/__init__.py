"""letterhub: joint letters to the UN, drafted in two languages and signed by invitation."""

# ruff: noqa: E402  (the imports below run with the cyclic garbage collector paused)
from __future__ import annotations

import gc

# Importing the application (Flask, SQLAlchemy, WeasyPrint, every view and service) makes
# hundreds of thousands of objects that live as long as the process; the cyclic collector
# walking them again and again took about a sixth of the import, ~0.2 s of every command's
# start (`letters pdf` included). Paused while importing; the survivors are then frozen, so
# later collections (and forked render children) leave them alone.
gc.disable()

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, current_app, g, has_request_context, render_template, request, session
from flask.globals import request_ctx
from flask_babel import get_locale
from flask_login import current_user
from flask_talisman import Talisman
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import Forbidden
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    cli,
    database,
    input_hygiene,
    labels,
    logs,
    models,  # noqa: F401  (registers the tables with the metadata)
)
from . import config as config_module
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .paths import IN_CHECKOUT, MIGRATIONS_DIR, PACKAGE_DIR, PROJECT_DIR, TEMPLATES_DIR
from .services.login_sessions import user_for_token
from .services.markdown import render_markdown
from .views import (
    accounts,
    admin,
    audit,
    bulk_invite,
    comments,
    delegation,
    directory,
    guard,
    imports,
    letters,
    mailbox,
    proposals,
    public,
    revisions,
    signing,
    signon,
    teams,
)

gc.enable()
gc.freeze()


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI — in that order."""
    # A checkout keeps instance/ beside the code; an installed package uses Flask's default
    # (<prefix>/var/letterhub-instance) unless LETTERHUB_INSTANCE_PATH says otherwise.
    instance_path = os.environ.get("LETTERHUB_INSTANCE_PATH") or (
        str(PROJECT_DIR / "instance") if IN_CHECKOUT else None
    )
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(TEMPLATES_DIR),
    )
    load_config(app, test_config)
    register_proxy_fix(app)
    logs.init_app(app)
    register_extensions(app)
    input_hygiene.init_app(app)  # the `id` converter must exist before the blueprints' routes
    register_blueprints(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_error_pages(app)
    register_cli(app)
    return app


def load_config(app: Flask, test_config: dict | None) -> None:
    app.config.from_object(config_module.Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.update(config_module.from_environment())
    else:
        app.config.update(test_config)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    database_url = app.config.get("DATABASE_URL") or f"sqlite:///{Path(app.instance_path) / 'letterhub.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(database_url)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Several processes and threads (web, worker, tests' live server) share one file: a
        # writer waits this long for the write lock (see letterhub.database).
        connect_args = app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("connect_args", {})
        connect_args.setdefault("timeout", int(app.config["SQLITE_BUSY_TIMEOUT_MS"]) / 1000)
    else:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("pool_pre_ping", True)
    configure_sessions(app)
    if not app.config["MAILBOX_DIR"]:
        app.config["MAILBOX_DIR"] = str(Path(app.instance_path) / "mailbox")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(PACKAGE_DIR / "translations")
    config_module.derive_from_base_url(app.config)
    config_module.check_choices(app.config)

    if not (app.debug or app.testing) and app.config["SECRET_KEY"] in (
        None,
        "",
        config_module.DEFAULT_SECRET_KEY,
    ):
        raise RuntimeError(
            "LETTERHUB_SECRET_KEY is missing or still the default. Set it to a long random value "
            "(python -c 'import secrets; print(secrets.token_hex(32))')."
        )


def configure_sessions(app: Flask) -> None:
    """Key rotation and cookie lifetimes, derived from the settings people actually set."""
    config = app.config
    config["SECRET_KEY_FALLBACKS"] = config_module.key_list(config.get("SECRET_KEY_FALLBACKS"))
    # itsdangerous takes a list of keys, oldest first, and signs with the last: CSRF tokens
    # signed with a fallback key keep working while it is listed.
    config["WTF_CSRF_SECRET_KEY"] = [*config["SECRET_KEY_FALLBACKS"], config["SECRET_KEY"]]
    # A remembered sign-in is a permanent session cookie; the signature's age limit is the same.
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(days=int(config["REMEMBER_ME_DAYS"]))
    # Secure and __Host- cookies follow from BASE_URL: config.derive_from_base_url.


def normalise_database_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def register_proxy_fix(app: Flask) -> None:
    """Believe X-Forwarded-For/-Proto/-Host only from as many proxies as configured (none by default).

    Behind a reverse proxy this makes ``request.remote_addr`` the client's address (signatures
    record it, rate limits count by it) and ``request.is_secure`` true when the proxy spoke TLS.
    """
    hops = {name: int(app.config[f"PROXY_FIX_X_{name.upper()}"] or 0) for name in ("for", "proto", "host")}
    if any(hops.values()):
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops["for"], x_proto=hops["proto"], x_host=hops["host"], x_port=0, x_prefix=0
        )


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.user_loader(user_for_token)
    limiter.init_app(app)


def select_locale() -> str:
    """The locale for this request: explicit choice, the page's own (a signing link), the account, the browser.

    Outside a request (the worker, the CLI) it is the default locale.
    """
    languages = current_app_languages()
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang")
    if chosen in languages:
        session["locale"] = chosen
        return chosen
    if getattr(g, "page_locale", None) in languages and "locale" not in session:
        return g.page_locale
    if session.get("locale") in languages:
        return session["locale"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or languages[0]


def current_app_languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(public.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(letters.bp)
    app.register_blueprint(revisions.bp)
    app.register_blueprint(imports.bp)
    app.register_blueprint(directory.bp)
    app.register_blueprint(bulk_invite.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(comments.bp)
    app.register_blueprint(teams.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(signing.bp)
    app.register_blueprint(delegation.bp)
    app.register_blueprint(proposals.bp)
    app.register_blueprint(signon.bp)
    if app.config["MAIL_TRANSPORT"] == "mailbox" and (app.debug or app.testing):
        app.register_blueprint(mailbox.bp)


def register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def locale_context() -> dict:
        locale = get_locale()
        language = locale.language if locale else "en"
        return {
            "current_language": language,
            "text_direction": "rtl" if language == "ar" else "ltr",
            "other_language": "en" if language == "ar" else "ar",
        }

    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals["may"] = guard.may
    labels.register(app)


# No inline script or style anywhere (templates/pdf is WeasyPrint's, not a browser's).
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def register_security_headers(app: Flask) -> None:
    """Security headers through Flask-Talisman; https-only parts only when BASE_URL is https.

    Referrer-Policy is ``same-origin`` everywhere: a signing link's token never leaves the site
    in a Referer, while the signing page's own POSTs keep the Referer that Flask-WTF's HTTPS
    check requires (``no-referrer`` made it refuse the "opened" beacon).
    """
    https = config_module.serves_https(app.config)
    app.extensions["talisman"] = Talisman(
        app,
        force_https=https,  # redirects plain http unless request.is_secure (ProxyFix) or X-Forwarded-Proto says https
        strict_transport_security=https,  # and then sent only on requests that came over https
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="same-origin",
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
        x_content_type_options=True,
    )


def register_error_pages(app: Flask) -> None:
    def error_page(error):
        code = getattr(error, "code", 500)
        if request_ctx.url_adapter is None:  # the Host is not trusted: build the page's links for BASE_URL
            base = urlsplit(app.config["BASE_URL"])
            request_ctx.url_adapter = app.url_map.bind(base.netloc, url_scheme=base.scheme)
        malformed = isinstance(error, input_hygiene.MalformedAddress)
        # A member whose role does not allow the action is told why (services.permissions).
        refusal = (
            error.description
            if isinstance(error, Forbidden) and error.description != Forbidden.description
            else None
        )
        page = render_template(
            "errors/error.html", code=code, error=error, malformed=malformed, refusal=refusal
        )
        return page, code

    for code in (400, 403, 404, 405, 410, 413, 429):
        app.register_error_handler(code, error_page)

    @app.errorhandler(OperationalError)
    def database_locked(error: OperationalError):
        """SQLite stayed locked past its busy timeout: nothing was written; ask to retry."""
        if not database.is_locked(error):
            raise error
        db.session.rollback()
        database.stop_writing_in_this_request()  # the page below may read, but must not wait
        app.logger.warning("database locked for %s %s: answered 503", request.method, request.endpoint)
        page = render_template("errors/error.html", code=503, error=error)
        return page, 503, {"Retry-After": str(database.LOCKED_RETRY_AFTER_SECONDS)}


def register_cli(app: Flask) -> None:
    cli.init_app(app)
