"""Deployment hardening (等保 level 3): deploy checks, headers and CSP, login lockout, session expiry,
two-factor authentication, and how uploaded files are kept and served."""

import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from audits.models import AuditEntry
from catalog.demo import DEMO_PASSWORD
from config import security
from funding import services as funding
from tests.approvals.conftest import applicant, file_application  # noqa: F401 (fixtures)
from tests.funding.conftest import health, health_item, make_contract, payer_user  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}  # the assertions read the English messages, whatever the translations say


def _english(**defaults) -> Client:
    """A browser whose person chose English (pages follow the language cookie, not Accept-Language)."""
    client = Client(**defaults)
    client.cookies["django_language"] = "en"
    return client


LOGIN = "/accounts/login/"
VERIFY = "/accounts/login/code/"
TWO_FACTOR = "/accounts/two-factor/"


@pytest.fixture
def client():
    return _english(**ENGLISH)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient(**ENGLISH)


# --- 1. `check --deploy` with production settings ---------------------------------------------------------------


def _production_env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    env |= {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "community.example.gov.cn",
        "DJANGO_VAR_DIR": str(tmp_path),
        **extra,
    }
    return env


@pytest.mark.parametrize("secure", [{"DJANGO_SECURE": "1"}, {}], ids=["DJANGO_SECURE=1", "secure-by-default"])
def test_check_deploy_reports_nothing_with_production_settings(tmp_path, secure):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(tmp_path, **secure),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_compose_environment_passes_the_deploy_check_and_its_health_check(tmp_path):
    env = {**os.environ, "DJANGO_SECRET_KEY": secrets.token_urlsafe(64), "POSTGRES_PASSWORD": "x"}
    env["DJANGO_ALLOWED_HOSTS"] = "community.example.gov.cn"
    compose = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    web = yaml.safe_load(compose.stdout)["services"]["web"]
    production = {k: str(v) for k, v in web["environment"].items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    assert production["DJANGO_2FA_REQUIRED_ROLES"] == "civil_affairs,admin"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(tmp_path, **production),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The container's health check asks a host the application accepts.
    probe = " ".join(web["healthcheck"]["test"])
    host = re.search(r"http://([^:/]+)", probe).group(1)
    assert host in production["DJANGO_ALLOWED_HOSTS"].split(",")


def _production_setting(tmp_path, expression: str, **extra) -> str:
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    env = _production_env(tmp_path, DJANGO_SETTINGS_MODULE="config.settings", **extra)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_is_the_safe_default_and_debug_is_not(tmp_path):
    production = "settings.SESSION_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT, settings.TWO_FACTOR_REQUIRED_ROLES"
    assert _production_setting(tmp_path, production) == "True True ['civil_affairs', 'admin']"
    # `make run` (DJANGO_DEBUG=1) keeps plain HTTP and the demo logins without a phone.
    debug = "settings.SESSION_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT, settings.TWO_FACTOR_REQUIRED_ROLES"
    assert _production_setting(tmp_path, debug, DJANGO_DEBUG="1") == "False False []"
    # Behind a proxy that terminates TLS elsewhere, it can be switched off explicitly.
    assert _production_setting(tmp_path, "settings.SESSION_COOKIE_SECURE", DJANGO_SECURE="0") == "False"


def test_health_check_is_not_redirected_to_https(settings, db):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    assert _english(**ENGLISH).get("/healthz").status_code == 200
    assert _english(**ENGLISH).get("/catalogue/").status_code == 301


# --- 2. Headers and the Content Security Policy -------------------------------------------------------------------


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", LOGIN, "/catalogue/"])
def test_pages_carry_a_strict_policy_and_the_security_headers(client, world, path):
    response = client.get(path)
    assert response.status_code == 200
    csp = _directives(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


INLINE_CODE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style(?![^>]*nonce=)[^>]*>|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE
)
# Rendered to PDF by WeasyPrint, never served.
PDF_ONLY = {"catalog/reply_slip.html", "catalog/notice_slip.html", "funding/report_pdf.html"}


def test_no_template_has_inline_code_the_policy_would_block():
    found = []
    for path in (ROOT / "templates").rglob("*.html"):
        name = path.relative_to(ROOT / "templates").as_posix()
        if name in PDF_ONLY:
            continue
        found += [f"{name}: {match.group(0)}" for match in INLINE_CODE.finditer(path.read_text())]
    assert found == []


def test_api_documentation_inline_style_carries_the_request_nonce(client, db):
    response = client.get("/api/v1/docs/")
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}">' in response.content.decode()
    assert "<script>" not in response.content.decode()  # the start-up script is a separate file
    assert client.get("/api/v1/docs/?script=").status_code == 200


# --- 3. Login throttling and lockout -------------------------------------------------------------------------


def _login(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_five_wrong_passwords_lock_the_account_at_that_address_and_the_trail_records_it(db, world):
    client = _english(**ENGLISH, REMOTE_ADDR="203.0.113.7")
    for _ in range(4):
        assert _login(client, "jiedao", "wrong").status_code == 200
    locked = _login(client, "jiedao", "wrong")
    assert locked.status_code == 429
    assert "locked for 15 minutes" in locked.content.decode()
    # Even the right password is refused while locked, and the page says why.
    again = _login(client, "jiedao", DEMO_PASSWORD)
    assert again.status_code == 429 and "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="login_failed", note="jiedao").count() >= 5
    assert AuditEntry.objects.filter(action="locked_out", note="jiedao @ 203.0.113.7").exists()
    # The lock is on the username at that address: the same person elsewhere, or others here, may log in.
    assert _login(_english(**ENGLISH, REMOTE_ADDR="198.51.100.2"), "jiedao", DEMO_PASSWORD).status_code == 302
    assert _login(_english(**ENGLISH, REMOTE_ADDR="203.0.113.7"), "shuji", DEMO_PASSWORD).status_code == 302
    # An administrator unlocks it (the admin's access attempts, or this command).
    call_command("axes_reset_username", "jiedao", verbosity=0)
    assert _login(client, "jiedao", DEMO_PASSWORD).status_code == 302


def test_a_lockout_answers_the_api_token_request_in_json(api_client, world):
    for _ in range(5):
        response = api_client.post("/api/v1/auth/token/", {"username": "minzheng", "password": "wrong"})
    assert response.status_code == 429
    assert "locked" in response.json()["detail"]


def test_lockouts_are_listed_in_the_admin_for_unlocking(client, world):
    _login(_english(**ENGLISH), "shenji", "wrong")
    client.force_login(world.user("admin"))
    response = client.get("/admin/axes/accessattempt/")
    assert response.status_code == 200 and "shenji" in response.content.decode()


# --- 4. Sessions expire ----------------------------------------------------------------------------------------


def _age_session(client, **seconds_ago):
    keys = {"seen": security.SEEN_KEY, "login": security.STARTED_KEY}
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[keys[key]] = now - ago
    session.save()


def test_an_idle_session_is_logged_out(client, world):
    client.force_login(world.user("minzheng"))
    assert client.get("/home/").status_code == 200
    _age_session(client, seen=django_settings.SESSION_IDLE_SECONDS + 1)
    response = client.get("/home/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="session_expired", note="idle").exists()


def test_an_active_session_ends_at_its_absolute_age(client, world):
    client.force_login(world.user("minzheng"))
    _age_session(client, seen=60, login=django_settings.SESSION_ABSOLUTE_SECONDS + 1)
    response = client.get("/home/", follow=True)
    assert response.redirect_chain[0][0].startswith(LOGIN)
    assert "8 hours" in response.content.decode()


def test_activity_keeps_a_session_alive(client, world):
    client.force_login(world.user("minzheng"))
    _age_session(client, seen=django_settings.SESSION_IDLE_SECONDS - 120)
    assert client.get("/home/").status_code == 200
    assert int(time.time()) - client.session[security.SEEN_KEY] < 5  # the clock was reset by the request


def test_session_lifetimes_come_from_the_environment(tmp_path):
    values = (
        "settings.SESSION_ABSOLUTE_SECONDS, settings.SESSION_IDLE_SECONDS, settings.SESSION_EXPIRE_AT_BROWSER_CLOSE"
    )
    assert _production_setting(tmp_path, values) == "28800 1800 False"
    env = {
        "DJANGO_SESSION_AGE_SECONDS": "3600",
        "DJANGO_SESSION_IDLE_SECONDS": "600",
        "DJANGO_SESSION_EXPIRE_AT_BROWSER_CLOSE": "1",
    }
    assert _production_setting(tmp_path, values, **env) == "3600 600 True"


# --- 5. Two-factor authentication -------------------------------------------------------------------------------


def _code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def _enrol(client, user) -> TOTPDevice:
    client.force_login(user)
    page = client.get(TWO_FACTOR)
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(TWO_FACTOR, {"action": "confirm", "code": _code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_enrolment_then_login_needs_the_code(world):
    user = world.user("jiedao")
    device = _enrol(_english(**ENGLISH), user)
    assert AuditEntry.objects.filter(action="2fa_enrolled", object_id=str(user.pk)).exists()

    client = _english(**ENGLISH)
    response = _login(client, "jiedao", DEMO_PASSWORD)
    assert response.status_code == 302 and response["Location"] == VERIFY
    assert "_auth_user_id" not in client.session  # the password alone logs nobody in
    assert client.get("/home/").status_code == 302

    wrong = client.post(VERIFY, {"code": "000000" if _code(device, 1) != "000000" else "111111"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="login_failed", note="jiedao").exists()
    # After a wrong code the device backs off: even the right code is refused for a moment (django-otp throttling).
    assert client.post(VERIFY, {"code": _code(device, 1)}).status_code == 200
    assert "_auth_user_id" not in client.session
    device.throttle_reset()  # as if the back-off had passed

    right = client.post(VERIFY, {"code": _code(device, 1)})  # the enrolment used the current step
    assert right.status_code == 302
    assert client.get("/home/").wsgi_request.user.is_verified()


def test_guessing_codes_locks_the_account_like_guessing_passwords(world):
    device = _enrol(_english(**ENGLISH), world.user("jiedao"))
    client = _english(**ENGLISH, REMOTE_ADDR="203.0.113.9")
    wrong = "000000" if _code(device, 1) != "000000" else "111111"
    _login(client, "jiedao", DEMO_PASSWORD)
    responses = [client.post(VERIFY, {"code": wrong}) for _ in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    assert "locked for 15 minutes" in responses[-1].content.decode()
    assert AuditEntry.objects.filter(action="locked_out", note="jiedao @ 203.0.113.9").exists()
    # The pending password step is gone, and the password alone no longer gets back to the code page.
    assert client.get(VERIFY).status_code == 302
    assert _login(client, "jiedao", DEMO_PASSWORD).status_code == 429


def test_a_wrong_code_at_enrolment_leaves_two_factor_off(client, world):
    user = world.user("jiedao")
    client.force_login(user)
    client.get(TWO_FACTOR)
    device = TOTPDevice.objects.get(user=user)
    wrong = "123456" if _code(device) != "123456" else "654321"
    response = client.post(TWO_FACTOR, {"action": "confirm", "code": wrong})
    assert response.status_code == 200 and "not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_removing_the_device_needs_a_current_code(client, world):
    user = world.user("jiedao")
    device = _enrol(client, user)
    client.post(TWO_FACTOR, {"action": "remove", "code": "abcdef"})
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    client.post(TWO_FACTOR, {"action": "remove", "code": _code(device, 1)})
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEntry.objects.filter(action="2fa_removed", object_id=str(user.pk)).exists()


@pytest.fixture
def two_factor_required(settings):
    settings.TWO_FACTOR_REQUIRED_ROLES = ["civil_affairs", "admin"]


def test_a_required_role_without_a_device_is_sent_to_enrol(client, world, two_factor_required):
    client.force_login(world.user("minzheng"))
    for path in ("/home/", "/applications/", "/catalogue/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == TWO_FACTOR, path
    assert client.get("/api/v1/me/").status_code == 403  # the session cannot use the API either
    assert client.get(TWO_FACTOR).status_code == 200
    # Another role is not held up.
    client.force_login(world.user("jiedao"))
    assert client.get("/home/").status_code == 200


def test_a_required_role_is_free_once_verified(client, world, two_factor_required):
    _enrol(client, world.user("minzheng"))  # confirming the code verifies the session
    assert client.get("/home/").status_code == 200


def test_a_required_role_with_a_device_but_an_unverified_session_logs_in_again(world, two_factor_required):
    user = world.user("minzheng")
    _enrol(_english(**ENGLISH), user)
    client = _english(**ENGLISH)
    client.force_login(user)  # a session that never gave the code
    response = client.get("/home/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_the_admin_needs_a_verified_session_when_two_factor_is_required(world, two_factor_required):
    client = _english(**ENGLISH)
    client.force_login(world.user("admin"))
    assert client.get("/admin/").status_code == 302
    _enrol(client, world.user("admin"))
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_is_the_sites_login(client, db):
    response = client.get("/admin/login/?next=/admin/catalog/")
    assert response.status_code == 302 and response["Location"] == f"{LOGIN}?next=%2Fadmin%2Fcatalog%2F"


def test_api_token_requests_are_not_asked_for_codes(api_client, world, two_factor_required):
    _enrol(_english(**ENGLISH), world.user("minzheng"))  # a required role's token is honoured once it has a device
    token = Token.objects.create(user=world.user("minzheng"))
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.get("/api/v1/me/").status_code == 200


def test_a_token_is_issued_only_with_the_second_factor(api_client, world, two_factor_required):
    url = "/api/v1/auth/token/"
    # A role that must use two-factor authentication gets no token before it has a device.
    assert api_client.post(url, {"username": "minzheng", "password": DEMO_PASSWORD}).status_code == 403
    device = _enrol(_english(**ENGLISH), world.user("minzheng"))
    refused = api_client.post(url, {"username": "minzheng", "password": DEMO_PASSWORD})
    assert refused.status_code == 400 and "otp_token" in refused.json()
    wrong = api_client.post(url, {"username": "minzheng", "password": DEMO_PASSWORD, "otp_token": "12345x"})
    assert wrong.status_code == 400
    device.throttle_reset()  # as if the back-off after the wrong code had passed
    issued = api_client.post(url, {"username": "minzheng", "password": DEMO_PASSWORD, "otp_token": _code(device, 1)})
    assert issued.status_code == 200 and issued.json()["token"]
    # Roles without the requirement and without a device keep the password-only token.
    assert api_client.post(url, {"username": "jiedao", "password": DEMO_PASSWORD}).status_code == 200


# --- 6. Uploaded files ---------------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _pdf(name="协议.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj\n%%EOF\n", content_type="application/pdf")


def _assert_served_as_download(response):
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_attachments_are_downloads_for_those_who_may_see_the_application(client, world, media, file_application):
    application = file_application()
    client.force_login(world.user("bumen"))
    client.post(f"/applications/{application.pk}/attach/", {"file": _pdf("通知.pdf")})
    attachment = application.attachments.get()
    url = f"/applications/{application.pk}/attachments/{attachment.pk}/"
    _assert_served_as_download(client.get(url))
    assert Path(attachment.file.path).is_relative_to(media)
    for outsider in ("minzheng_sb", "minzheng_jn"):
        client.force_login(world.user(outsider))
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_contract_scans_are_downloads_for_those_who_may_see_the_contract(client, world, media, make_contract):
    contract = make_contract()
    funding.contract_sign(contract=contract, actor=world.user("bumen"), document=_pdf())
    url = f"/funding/contracts/{contract.pk}/document/"
    client.force_login(world.user("bumen"))
    _assert_served_as_download(client.get(url))
    client.force_login(world.user("minzheng_sb"))
    assert client.get(url).status_code == 404


def test_media_files_have_no_url_of_their_own(settings):
    with pytest.raises(Resolver404):
        resolve(f"/{settings.MEDIA_URL.strip('/') or 'media'}/approvals/x.pdf")
    assert not getattr(settings, "WHITENOISE_ROOT", None)  # whitenoise serves STATIC_ROOT only
    assert not Path(settings.MEDIA_ROOT).resolve().is_relative_to(Path(settings.STATIC_ROOT).resolve())


def test_a_file_over_ten_megabytes_is_refused_by_name(client, world, media, file_application):
    application = file_application()
    client.force_login(world.user("bumen"))
    big = SimpleUploadedFile("大文件.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024), content_type="application/pdf")
    response = client.post(f"/applications/{application.pk}/attach/", {"file": big}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["“大文件.pdf” is larger than 10 MB."]
    assert application.attachments.count() == 0


def test_an_oversized_request_is_refused_before_it_is_read(client, world, settings, file_application):
    settings.MAX_REQUEST_BYTES = 1024 * 1024
    application = file_application()
    client.force_login(world.user("bumen"))
    big = SimpleUploadedFile("通知.pdf", b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024), content_type="application/pdf")
    response = client.post(f"/applications/{application.pk}/attach/", {"file": big})
    assert response.status_code == 413
    assert "at most 1 MB" in response.content.decode()
    assert application.attachments.count() == 0
    big.seek(0)
    api = client.post("/api/v1/applications/", {"file": big})
    assert api.status_code == 413 and "at most 1 MB" in api.json()["detail"]
