"""The Celery app: configured from Django settings (the CELERY_ namespace).

Workers: `celery -A shop worker`; schedules: `celery -A shop beat`.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.prod")

app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
