"""Every named route of the URL configuration, for the tests that must cover them all (budgets, the matrix)."""

from django.urls import URLPattern, URLResolver, get_resolver


def named_routes():
    """(name, route) of every named URL pattern; a namespaced one is named `namespace:name` (`api:check`)."""

    def walk(patterns, prefix="", namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(n for n in (namespace, pattern.namespace) if n) or None
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), prefix + str(pattern.pattern)

    yield from walk(get_resolver().url_patterns)
