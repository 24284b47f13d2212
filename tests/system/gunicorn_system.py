"""Gunicorn settings for the system checks; the command line sets the rest.

Kept apart from the deployment's gunicorn.conf.py so these runs never bind
its port or recycle workers behind the soak's back.
"""

keepalive = 5
graceful_timeout = 10
