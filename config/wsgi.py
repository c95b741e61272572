import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# A web server never starts on the development key or without its host names (settings let commands do so).
if not settings.DEBUG and settings.SECRET_KEY_MISSING:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
if not settings.DEBUG and not settings.ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off.")

# A web worker loads what its first request would otherwise wait for (about a second each): every view, through
# the URL configuration, and the segmentation dictionary the check and the catalogue search need.
from django.urls import get_resolver  # noqa: E402

from catalog.search import warm_up  # noqa: E402

get_resolver().url_patterns  # noqa: B018 (importing the views is the point)
warm_up()
