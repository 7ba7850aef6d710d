"""Danish first (PLAT-2): the language is the one the user chose (cookie, set by the
language button) or Danish — never guessed from the browser's Accept-Language, since
a Danish GP with an English-language browser still expects the Danish product.

And the Content Security Policy on every response (settings.KLYNGE_CSP)."""

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _


class LanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class ContentSecurityPolicyMiddleware:
    """Sends `settings.KLYNGE_CSP` unless a view set its own policy. Pages carry no
    inline script: behaviour comes from static files (`core/forms.js`, `core/charts.js`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.KLYNGE_CSP:
            response.headers.setdefault("Content-Security-Policy", settings.KLYNGE_CSP)
        return response


class RefuseNulMiddleware:
    """A NUL character in a query string or a form field is never meant: no database
    column can hold it (PostgreSQL refuses it outright), so it is answered with 400
    here instead of a server error deep in a view. Uploaded files are not touched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        fields = [request.GET]
        if request.method == "POST":  # form fields (files are not in request.POST)
            fields.append(request.POST)
        if any(
            "\x00" in key or "\x00" in value
            for f in fields
            for key, values in f.lists()
            for value in values
        ):
            message = _("The request holds a NUL character; it was not processed.")
            if request.path.startswith("/api/"):  # the API's error body (api/exceptions.py)
                return JsonResponse({"detail": message, "code": "invalid"}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
