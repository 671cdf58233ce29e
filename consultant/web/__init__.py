"""The reviewers' web app (FastAPI): server-rendered pages with Jinja2 and htmx, and ``/api``.

:func:`consultant.web.app.create_app` assembles it; each request is one unit of
work (:mod:`consultant.web.database`); every response carries the security
headers (:mod:`consultant.web.security_headers`); every unsafe request carries a
CSRF token (:mod:`consultant.web.csrf`).
"""
