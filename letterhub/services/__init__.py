"""The verbs of letterhub: plain functions shared by the views, the CLI and the tests.

Services never commit: the caller (a view or a CLI command) owns the transaction.
"""
