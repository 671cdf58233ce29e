"""Celery workers: the app and thin tasks that call consultant services by row id."""
