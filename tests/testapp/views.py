"""SCIM views that exist only in the tests, to drive the error machinery directly."""

from django.contrib.auth.models import Group
from rest_framework.permissions import AllowAny

from scim_provider.protocol import errors
from scim_provider.views import ScimView

ERRORS = {cls.__name__: cls for cls in errors.ScimError.__subclasses__()}


class EchoView(ScimView):
    """POST a JSON body; it is echoed back. ``?raise=Name`` raises that error after a write."""

    def get_permissions(self):
        return [AllowAny()]

    def get_authenticators(self):
        return []

    def post(self, request):
        data = request.data
        Group.objects.create(name="written-before-the-error")
        name = request.query_params.get("raise")
        if name == "crash":
            raise RuntimeError("secret database text: password=hunter2")
        if name == "TooManyRequests":
            raise errors.TooManyRequests(retry_after=7)
        if name:
            raise ERRORS[name]()
        return self.scim_response(data, status=201)
