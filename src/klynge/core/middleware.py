"""Danish first (PLAT-2): the language is the one the user chose (cookie, set by the
language button) or Danish — never guessed from the browser's Accept-Language, since
a Danish GP with an English-language browser still expects the Danish product.

And the Content Security Policy on every response (settings.KLYNGE_CSP)."""

from django.conf import settings
from django.utils import translation


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
