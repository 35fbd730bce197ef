"""Gunicorn as the kiosk runs in production; every value can be overridden by the environment."""

import multiprocessing
import os

bind = os.environ.get("KIOSK_BIND", "127.0.0.1:8000")
# The classic 2 x cores + 1: requests wait on the database, not the CPU.
workers = int(os.environ.get("KIOSK_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# Import the app (and compile its templates, see wsgi.py) once in the master, then fork: a new
# or restarted worker is ready at once. Safe because the app opens no database connection
# until a request comes in, so no connection is ever shared across a fork.
preload_app = True
timeout = 30
graceful_timeout = 10
# Restart workers now and then so a slow leak can never take a store down.
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("KIOSK_ACCESS_LOG", "-")
forwarded_allow_ips = os.environ.get("KIOSK_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Claim QR secrets and account links travel in URLs: the access log blanks them.
logger_class = "kiosk.gunicorn_logging.RedactingLogger"
