"""The example project's URLs plus the bare baseline view (``/bench/bare/user``)."""

from django.urls import path

from benchmarks.benchapp.views import bare_user
from example_project.urls import urlpatterns as example_urlpatterns

urlpatterns = [
    *example_urlpatterns,
    path("bench/bare/user", bare_user, name="bench-bare-user"),
]
