"""gunicorn's configuration for letterhub: ``gunicorn -c python:letterhub.gunicorn_config``.

A module of the package, so an installed wheel carries it and the command is the same in a
checkout and on a server, from any working directory. Every value can be changed through the
environment, so the same file serves every installation. Logs (gunicorn's errors, its access
log and the app's own) go to stderr as one JSON object per line, with signing tokens masked
(letterhub.logs).
"""

import os

from .logs import gunicorn_logconfig

wsgi_app = "letterhub:create_app()"

# Where to listen: behind nginx/Caddy on the same host, the loopback address.
bind = os.environ.get("LETTERHUB_BIND", "127.0.0.1:8000").split(",")

# Two workers per core plus one is gunicorn's advice; capped, since each worker holds its own
# database pool and a render may take ~350 MB.
workers = int(os.environ.get("LETTERHUB_WORKERS") or min(2 * (os.cpu_count() or 1) + 1, 8))
timeout = int(os.environ.get("LETTERHUB_WORKER_TIMEOUT") or 60)

# Logs: JSON on stderr for gunicorn and the app alike; the access line is built from the
# atoms below (method, path, status, duration, client, the response's request id).
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(D)sus %({x-request-id}o)s'
logconfig_dict = gunicorn_logconfig(os.environ.get("LETTERHUB_LOG_LEVEL", "INFO"))

# forwarded_allow_ips is left to the deployer: gunicorn trusts X-Forwarded-* only from
# 127.0.0.1 by default (FORWARDED_ALLOW_IPS in the environment changes it).

# gunicorn 25.1+ opens a control socket for `gunicornc` at $XDG_RUNTIME_DIR/gunicorn.ctl or
# ~/.gunicorn/gunicorn.ctl: one path per user, which a second instance (staging beside
# production, a test run) silently takes over, and which systemd's ProtectHome= forbids.
# letterhub is run by its supervisor's signals (HUP reloads, TERM stops), so it is off.
control_socket_disable = True
