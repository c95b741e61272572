"""The interface is 简体中文 unless the person chose English with the header's switch.

Django's LocaleMiddleware would also follow the browser's Accept-Language, so an English browser got English on
its first visit. Here only the explicit choice counts: the language cookie that Django's set_language view
writes (a session cannot carry it: the choice is made before logging in too).
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        # Answers do not vary with Accept-Language any more, only with the cookie.
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
