"""An API token is read in one query written once per process (config.authentication.token_with_user): for any
token, user, unit and last use, and for any key asked (the real one, one character off, a look-alike, none), it
gives what the ORM's select_related("user__unit", "use") gives, and nothing it brings asks a second query."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from rest_framework.authtoken.models import Token

from catalog.models import Unit, User
from config.authentication import token_with_user
from config.models import TokenUse


def _fields(obj) -> dict | None:
    return None if obj is None else {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _asked(token: Token, how: str) -> str:
    key = token.key
    return {
        "same": key,
        "upper": key.upper(),
        "one off": key[:-1] + ("0" if key[-1] != "0" else "1"),
        "full-width": key.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}),
        "spaced": f" {key}",
        "empty": "",
        "quote": key[:10] + "' OR '1'='1",
    }[how]


class TestTheTokenQueryGivesWhatTheOrmGives(TestCase):
    @settings(max_examples=40, deadline=None)
    @given(
        with_unit=st.booleans(),
        used=st.sampled_from(["never", "recently", "long ago"]),
        active=st.booleans(),
        how=st.sampled_from(["same", "same", "upper", "one off", "full-width", "spaced", "empty", "quote"]),
    )
    def test_any_token_and_any_key(self, with_unit, used, active, how):
        city = Unit.objects.create(kind="city", name="令牌市")
        district = Unit.objects.create(kind="district", name="令牌区", parent=city)
        user = User.objects.create(
            username=f"t-{User.objects.count()}",
            role="department_staff" if with_unit else "admin",  # only an administrator may have no unit
            unit=district if with_unit else None,
            is_active=active,
        )
        token = Token.objects.create(user=user)
        if used != "never":
            ago = timedelta(minutes=5) if used == "recently" else timedelta(days=400)
            TokenUse.objects.create(token=token, last_used_at=timezone.now() - ago, password_hash="h")
        key = _asked(token, how)

        expected = Token.objects.select_related("user__unit", "use").filter(key=key).first()
        with CaptureQueriesContext(connection) as seen:
            found = token_with_user(Token, key)
            if found is not None:
                brought = (found.user, found.user.unit, getattr(found, "use", None) if used != "never" else None)
        assert len(seen) == 1, [q["sql"] for q in seen.captured_queries]
        assert (found is None) == (expected is None) == (key != token.key)
        if found is None:
            return
        assert _fields(found) == _fields(expected)
        assert _fields(brought[0]) == _fields(expected.user)
        assert _fields(brought[1]) == _fields(expected.user.unit)
        assert _fields(brought[2]) == _fields(getattr(expected, "use", None))
        # Saved back, they are the rows they came from (a token's first use writes its last use; a user saved).
        assert found._state.db == expected._state.db and not found._state.adding and not found.user._state.adding
        if used == "never":  # no row yet: read once, on the first use only, which then records it
            with CaptureQueriesContext(connection) as seen:
                assert getattr(found, "use", None) is None and getattr(found, "use", None) is None
            assert len(seen) == 1
