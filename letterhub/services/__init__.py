"""The verbs of letterhub: plain functions shared by the views, the CLI and the tests.

Services never commit: the caller (a view or a CLI command) owns the transaction.

Settings: every caller (view, CLI command, worker) runs inside an app context, so a service
reads the settings it needs from ``current_app.config`` where it uses them, and passes plain
typed values (seconds, megabytes, a host and port) to the layers that know nothing of Flask:
``rendering``, the render child in ``render_limits``, ``mailing.SMTPTransport``. No service
takes a configuration dict as an argument (tests/unit/test_structure.py checks it).
"""
