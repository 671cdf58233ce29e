"""CaseConsultant: an email coding consultant for medical coders and billers.

The domain package. It imports no Celery and no web framework; workers and the
web app call the services defined here.
"""

__version__ = "0.1.0"
