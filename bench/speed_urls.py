"""Every URL of the project, plus one bare response, `/bench/session/`, that does what any
logged-in page does before its own work and nothing else: the session row read and the
user row loaded (`request.user.is_authenticated`), through the same middleware.

Why not only `/sundhed/`: the health probe reads nothing, so Django's lazy session and
lazy user are never loaded there and their two queries are missing from that baseline.
The issue asks for "a bare Django response through the same middleware and session";
`bench/speed.py` reports the ratio against both. Served only by the bench
(`speed_settings.py`); the product's URLs are untouched."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views import View

from klynge.config import urls as project_urls


class SessionBareView(View):
    """`ok` for a logged-in user (session and user loaded), 403 otherwise, so a bench
    that lost its session notices instead of measuring an anonymous response."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return HttpResponse("not logged in\n", status=403, content_type="text/plain")
        response = HttpResponse(f"ok {request.user.pk}\n", content_type="text/plain")
        response["Cache-Control"] = "no-store"
        return response


urlpatterns = [
    path("bench/session/", SessionBareView.as_view()),
    *project_urls.urlpatterns,
]
