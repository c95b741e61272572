from django.urls import path

from .trail import TrailView

urlpatterns = [path("trail/", TrailView.as_view(), name="trail")]
