import pytest
from django.db import transaction
from django.test import override_settings

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="package")
def security_world(django_db_setup, django_db_blocker):
    """The demo world and one object of each kind per district, built once for the package, and a signed-in
    session per role.

    It is built inside a transaction that is rolled back when the package is done; each test runs inside it,
    in a savepoint of its own (pytest-django's `db`), so a write one test makes is gone before the next.
    """
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from catalog.models import User

    from .matrix import ROLES
    from .world import build

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = build()
            world["sessions"] = {}
            for role, username in ROLES.items():
                if username:
                    user = User.objects.get(username=username)
                    session = SessionStore()
                    session[SESSION_KEY] = str(user.pk)
                    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
                    session["_auth_user_hash"] = user.get_session_auth_hash()
                    session.save()
                    world["sessions"][role] = session.session_key
            yield world
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def as_role(security_world, db, client):
    """A test client signed in as the role's demo login (or anonymous)."""
    from django.conf import settings

    def sign_in(role):
        if role in security_world["sessions"]:
            client.cookies[settings.SESSION_COOKIE_NAME] = security_world["sessions"][role]
        return client

    return sign_in
