"""Thin blueprints: validate a form, call one service, commit, flash, redirect."""
