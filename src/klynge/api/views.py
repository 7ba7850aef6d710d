"""The contract and its documentation page.

`GET /api/v1/schema/` is the OpenAPI schema (YAML; `?format=json` for JSON) and names
its documentation page in a `Link: <…>; rel="service-doc"` header (RFC 8631);
`GET /api/docs/` is Swagger UI on that schema, vendored (`drf-spectacular-sidecar`), so
it works offline. The page's start-up script is a separate request (`?script`), so the
page carries no inline script and runs under the site's Content Security Policy."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


class SchemaView(SpectacularAPIView):
    def _get_schema_response(self, request):
        response = super()._get_schema_response(request)
        response["Link"] = f'<{reverse("api:docs")}>; rel="service-doc"'
        return response


class DocsView(SpectacularSwaggerSplitView):
    url_name = "api:schema"
    title = "Klynge API"


@extend_schema(exclude=True)
class NotFoundApi(APIView):
    """Every address under /api/v1/ that names no endpoint: 404 with the error body."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def initial(self, request, *args, **kwargs):
        raise NotFound
