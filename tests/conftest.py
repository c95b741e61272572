import pytest

# The environment the settings need in tests is set in pyproject.toml ([tool.pytest.ini_options] env).


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cached answers are keyed by ids, which a rolled-back test hands out again."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def world(db):
    """The demo world: three districts in two cities, one login per role."""
    from catalog.demo import load_demo

    load_demo(extras=False)
    return World()


class World:
    """Looks up demo units and users by name."""

    def unit(self, name, kind=None):
        from catalog.models import Unit

        qs = Unit.objects.filter(name=name)
        return (qs.filter(kind=kind) if kind else qs).get()

    def user(self, username):
        from catalog.models import User

        return User.objects.select_related("unit").get(username=username)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
