"""Crash tests: a real gunicorn whose workers are killed while tablets sell."""
