"""The interface is 简体中文 unless the person chose English with the header's switch.

Django's LocaleMiddleware would also follow the browser's Accept-Language, so an English browser got English on
its first visit. For pages only the explicit choice counts: the language cookie that Django's set_language view
writes (a session cannot carry it: the choice is made before logging in too). The API still follows
Accept-Language, which a program sets on purpose.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    def process_request(self, request):
        if request.path.startswith("/api/"):
            # A program calling the API states its language on purpose (Accept-Language): Chinese otherwise.
            return super().process_request(request)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        if request.path.startswith("/api/"):
            return super().process_response(request, response)
        # Pages do not vary with Accept-Language any more, only with the cookie.
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
