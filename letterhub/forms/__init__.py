"""Flask-WTF forms. Labels and messages are lazily translated, so they follow the request's locale."""
