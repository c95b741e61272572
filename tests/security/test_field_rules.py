"""Field-level rules: a requester cannot decide, a payer cannot set a contract's state, an auditor changes
nothing anywhere, and a district never reads or writes another district's data."""

import json

import pytest
from django.urls import reverse

from catalog.middleware import ALLOWED as READERS_MAY_POST

from .matrix import (
    API_BODIES,
    PAGE_ARGS,
    UNSAFE,
    api_object_kind,
    api_url,
    ask,
    changes_since,
    parse,
    snapshot,
    url_patterns,
)
from .test_matrix import API, PAGES

# What only the office, the committee or the batch decide: a requester's values for them must not stick.
DECIDED_FIELDS = {
    "state": "approved",
    "decided_by": None,  # filled with the administrator's id below
    "decided_at": "2026-01-01T00:00:00+08:00",
    "decision_minutes": "委员会同意",
    "office_opinion": "同意",
    "agree_count": 9,
    "consulted_count": 9,
    "votes_cast": 9,
    "pass_rate": "100.00",
    "batch": None,
    "lapses_on": "2099-12-31",
    "catalogue_item_key": "00000000-0000-0000-0000-000000000001",
}


def _decided(world):
    from catalog.models import User

    admin = User.objects.get(username="admin")
    return DECIDED_FIELDS | {"decided_by": admin.pk, "district": world["金牛区"]["district"].pk}


def _assert_undecided(application, world):
    application.refresh_from_db()
    assert application.state == "draft"
    assert application.decided_by_id is None and application.decided_at is None
    assert application.decision_minutes == "" and application.office_opinion == ""
    assert not application.agree_count and not application.consulted_count and not application.votes_cast
    assert application.batch_id is None and application.lapses_on is None and application.catalogue_item_key is None
    assert application.district == world["锦江区"]["district"]


@pytest.mark.parametrize("role", ["street_staff", "department_staff"])
def test_a_requester_filing_through_the_api_cannot_set_what_the_office_decides(role, as_role, security_world):
    from approvals.models import Application

    world = security_world
    body = API_BODIES["POST /api/v1/applications/"](world["锦江区"]) | _decided(world)
    response = as_role(role).post("/api/v1/applications/", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    _assert_undecided(Application.objects.get(pk=response.json()["id"]), world)


def test_a_requester_editing_a_draft_through_the_api_cannot_set_what_the_office_decides(as_role, security_world):
    from approvals.models import Application

    world = security_world
    client = as_role("department_staff")
    body = API_BODIES["POST /api/v1/applications/"](world["锦江区"])
    created = client.post("/api/v1/applications/", json.dumps(body), content_type="application/json").json()
    response = client.patch(
        f"/api/v1/applications/{created['id']}/", json.dumps(_decided(world)), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    _assert_undecided(Application.objects.get(pk=created["id"]), world)


def test_a_requester_filing_in_the_browser_cannot_set_what_the_office_decides(as_role, security_world):
    from approvals.models import Application

    world = security_world
    body = API_BODIES["POST /api/v1/applications/"](world["锦江区"]) | _decided(world)
    form = {name: value for name, value in body.items() if value is not None}
    before = set(Application.objects.values_list("pk", flat=True))
    response = as_role("department_staff").post(reverse("application-new"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    (new,) = Application.objects.exclude(pk__in=before)
    _assert_undecided(new, world)


@pytest.mark.parametrize("field", ["payer", "scope_communities"])
def test_an_application_cannot_name_another_districts_units(field, as_role, security_world):
    """A 锦江区 department may not make a 金牛区 unit pay, nor consult its communities."""
    from approvals.models import Application

    world = security_world
    other = world["金牛区"]
    body = API_BODIES["POST /api/v1/applications/"](world["锦江区"])
    if field == "payer":
        body["payer"] = other["department"].pk
    else:
        body |= {"scope": "communities", "scope_communities": [other["community"].pk]}
    count = Application.objects.count()
    response = as_role("department_staff").post(
        "/api/v1/applications/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert Application.objects.count() == count


def test_a_payer_cannot_set_a_contracts_state_or_payer_through_the_api(as_role, security_world):
    from funding.models import Contract

    world = security_world
    mine = world["锦江区"]
    body = API_BODIES["POST /api/v1/contracts/"](mine) | {
        "state": "in_force",
        "payer": world["金牛区"]["department"].pk,
        "district": world["金牛区"]["district"].pk,
        "signed_at": "2026-01-01T00:00:00+08:00",
    }
    response = as_role("department_staff").post("/api/v1/contracts/", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    contract = Contract.objects.get(pk=response.json()["id"])
    assert contract.state == "draft"
    assert contract.payer == mine["department"] and contract.district == mine["district"]
    assert contract.signed_at is None


def test_a_payer_cannot_set_a_contracts_state_in_the_browser(as_role, security_world):
    from funding.models import Contract

    mine = security_world["锦江区"]
    year = mine["contract"].starts_on.year
    form = {
        "number": "TEST-FORM-1",
        "item": mine["assistance"].pk,
        "communities": [mine["community"].pk],
        "amount_per_community": "800.00",
        "starts_on": f"{year}-01-01",
        "ends_on": f"{year}-12-31",
        "due_1": f"{year}-12-31",
        "share_1": "100",
        "state": "in_force",
        "payer": security_world["金牛区"]["department"].pk,
    }
    before = set(Contract.objects.values_list("pk", flat=True))
    response = as_role("department_staff").post(reverse("contract-new"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    (contract,) = Contract.objects.exclude(pk__in=before)
    assert contract.state == "draft" and contract.payer == mine["department"]


# --- An auditor (and the city overseer) change nothing --------------------------------------------------


def _every_url(world):
    """Every route of the URLconf, pages and API, with its arguments filled from 锦江区's objects."""
    objects = world["锦江区"]
    literal = {"action": "withdraw", "fmt": "csv", "format": "json"}
    for name, route in url_patterns():
        if name in READERS_MAY_POST:
            continue  # signing in and out, one's own second factor and inbox: no one else's data
        if name.startswith("api:"):
            if "format" in route:
                continue  # the same view as the route without the suffix
            paths = {op.split(" ", 1)[1] for op in API}
            urls = [api_url("GET", path, objects) for path in sorted(paths)]
            yield name, next((url for url in urls if _view_name(url) == name), None) or reverse(name)
        else:
            kwargs = {
                arg: objects[kind].key if arg == "key" else objects[kind].token if arg == "token" else objects[kind].pk
                for arg, kind in PAGE_ARGS.get(name, {}).items()
            }
            kwargs |= {
                arg: value for arg, value in literal.items() if f"<slug:{arg}>" in route or f"<str:{arg}>" in route
            }
            yield name, reverse(name, kwargs=kwargs)


def _view_name(url):
    from django.urls import resolve

    return resolve(url).view_name


@pytest.mark.parametrize("role", ["auditor", "overseer"])
def test_a_reader_gets_403_on_every_unsafe_method_of_every_page_and_endpoint(role, as_role, security_world):
    client = as_role(role)
    answers = {}
    urls = dict(_every_url(security_world))
    assert len(urls) > 80  # pages and API routes both
    for name, url in urls.items():
        for method in sorted(UNSAFE):
            before = snapshot()
            response = client.generic(method, url, "{}", content_type="application/json")
            assert not changes_since(before), (method, url)
            answers[f"{method} {name}"] = response.status_code
    wrong = {request: status for request, status in answers.items() if status != 403}
    assert not wrong, wrong


def test_an_auditor_with_an_api_token_is_refused_too(security_world, db, client):
    from rest_framework.authtoken.models import Token

    from catalog.models import User

    token = Token.objects.create(user=User.objects.get(username="shenji"))
    objects = security_world["锦江区"]
    before = snapshot()
    response = client.patch(
        f"/api/v1/policies/{objects['district'].pk}/",
        json.dumps({"pass_threshold_percent": "10"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 403
    assert not changes_since(before)
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}").json()["username"] == "shenji"


# --- A district never reads or writes another district's data ------------------------------------------

JINJIANG_ROLES = ["civil_affairs", "street_staff", "department_staff", "secretary", "auditor"]
DETAIL_PAGES = [key for key in PAGES if key.split("[")[0] in PAGE_ARGS]
DETAIL_OPERATIONS = [key for key in API if api_object_kind(*key.split(" ", 1))]
PUBLIC = {
    "org-unit",
    "district-catalogue",
    "catalogue-item",
    "catalogue-versions",
    "catalogue-export[csv]",
    "notice",
    "notice-document",  # a published notice printed as a 公文
    "notice-document-pdf",
    "check-slip-verify",  # whoever holds a reply slip verifies it
    "check-slip-pdf",
}


@pytest.mark.parametrize("district", ["金牛区", "市北区"])
@pytest.mark.parametrize("role", JINJIANG_ROLES)
def test_a_jinjiang_user_neither_reads_nor_writes_another_districts_objects(
    role, district, as_role, security_world, monkeypatch
):
    from . import matrix

    monkeypatch.setattr(matrix, "out_of_scope", lambda role: district)
    client = as_role(role)
    leaks = {}
    for key in DETAIL_PAGES + DETAIL_OPERATIONS:
        public = key in PUBLIC or (key.startswith("GET ") and "{id}" in key and API[key][1].split()[0] == "o")
        for method in ("GET", "POST") if key in PAGES else (key.split(" ", 1)[0],):
            answer, changed = ask(client, security_world, key=key, method=method, role=role, scope="out")
            assert not changed, (key, method, changed)
            readable_inside = parse((PAGES[key][method] if key in PAGES else API[key])[0])[role] == "o"
            if public:
                continue  # the organisation tree, published catalogues and notices are public (a POST to them
                # shows them again, having changed nothing, as asserted above)
            if answer not in ("n", "f", "m") or (method == "GET" and readable_inside and answer != "n"):
                leaks[f"{method} {key}"] = answer
    assert not leaks, leaks


LISTS = {
    "/api/v1/applications/": "application",
    "/api/v1/batches/": "batch",
    "/api/v1/ballots/": "ballot",
    "/api/v1/contracts/": "contract",
    "/api/v1/payments/": "payment",
    "/api/v1/users/": "user",
    "/api/v1/versions/?state=draft": "draft",
}


@pytest.mark.parametrize("role", JINJIANG_ROLES)
def test_a_jinjiang_users_lists_hold_nothing_of_another_district(role, as_role, security_world):
    client = as_role(role)
    for url, kind in LISTS.items():
        response = client.get(url + ("&" if "?" in url else "?") + "page_size=200")
        assert response.status_code == 200, (url, response.status_code)
        listed = {row["id"] for row in response.json()["results"]}
        foreign = {security_world[district][kind].pk for district in ("金牛区", "市北区")}
        assert not listed & foreign, (url, listed & foreign)
        if kind in ("application", "batch"):  # and the district's own are there: the filter is not just empty
            assert security_world["锦江区"][kind].pk in listed, (url, role)


def test_a_payer_neither_pays_nor_contracts_for_another_districts_communities(as_role, security_world):
    from funding.models import Contract, Payment

    client = as_role("department_staff")
    mine, other = security_world["锦江区"], security_world["金牛区"]
    counts = Contract.objects.count(), Payment.objects.count()
    before = snapshot()

    payment = API_BODIES["POST /api/v1/payments/"](mine) | {"instalment": other["instalment"].pk}
    response = client.post("/api/v1/payments/", json.dumps(payment), content_type="application/json")
    assert response.status_code == 404, response.content

    for field, value in (("communities", [other["community"].pk]), ("item", other["assistance"].pk)):
        body = API_BODIES["POST /api/v1/contracts/"](mine) | {field: value}
        response = client.post("/api/v1/contracts/", json.dumps(body), content_type="application/json")
        assert response.status_code == 400, (field, response.content)
        assert field in response.json(), response.json()

    assert (Contract.objects.count(), Payment.objects.count()) == counts
    assert not changes_since(before)


def test_a_payment_finds_its_instalment_only_in_the_callers_scope_and_tells_nothing_else(security_world, db):
    """The instalment is read once, by the payment's locking query, in the caller's scope: for every user of the
    security world and the first instalment of every contract, one out of scope is answered exactly as an id that
    names nothing and as one that is not an id (404, the same words), with another field wrong as well (that
    field's 400); one in scope that the caller may not pay, 403; a role that pays for nobody, 403 for every id
    (refused before anything is locked); only the paying unit (or an administrator) records. Nothing is written
    but the payments answered 201."""
    from datetime import date

    from rest_framework.test import APIClient

    from catalog.models import User
    from funding.models import Instalment, Payment
    from funding.selectors import instalments_visible_to
    from funding.services import can_pay_for, pays_for_some

    api_client = APIClient()
    first_of_each: dict = {}
    for instalment in Instalment.objects.select_related("contract").order_by("contract_id", "sequence"):
        first_of_each.setdefault(instalment.contract_id, instalment)
    missing = (Instalment.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    users = list(User.objects.filter(is_active=True).select_related("unit").order_by("pk"))
    assert len(users) >= 6 and len(first_of_each) >= 3
    answered = {"404": 0, "403": 0, "201": 0}
    for user in users:
        api_client.force_authenticate(user)

        def pay_with(instalment_id, changes, starts_on=date(2026, 4, 2), user=user):
            before = Payment.objects.count()
            body = {
                "instalment": instalment_id,
                "paid_on": str(starts_on),
                "amount": "0.01",
                "voucher": f"范围-{user.pk}-{instalment_id}",
            }
            response = api_client.post("/api/v1/payments/", body | changes, format="json")
            assert Payment.objects.count() == before + (response.status_code == 201), response.content
            return response

        def pay(instalment_id, starts_on=date(2026, 4, 2)):
            return pay_with(instalment_id, {}, starts_on)

        nothing = pay(missing)
        assert nothing.status_code == (404 if pays_for_some(user) else 403), (user.username, nothing.content)
        assert pay("abc").json() == pay("+1").json() == nothing.json()
        # With another field wrong, every id is answered alike too: that field's error, at the same point.
        wrong_amount = {"amount": "x"}
        assert pay_with(missing, wrong_amount).json() == pay_with("abc", wrong_amount).json()
        visible = set(instalments_visible_to(user).values_list("pk", flat=True))
        for instalment in first_of_each.values():
            assert pay_with(instalment.pk, wrong_amount).json() == pay_with(missing, wrong_amount).json()
            response = pay(instalment.pk, instalment.contract.starts_on)
            if not pays_for_some(user):  # refused before anything is read or locked, whatever the id
                assert (response.status_code, response.json()) == (403, nothing.json()), (user.username, instalment.pk)
            elif instalment.pk not in visible:
                assert (response.status_code, response.json()) == (404, nothing.json()), (user.username, instalment.pk)
            elif not can_pay_for(user, instalment.contract):
                assert response.status_code == 403, (user.username, instalment.pk, response.content)
            else:
                assert response.status_code in (201, 400, 409), (user.username, instalment.pk, response.content)
            answered[str(response.status_code)] = answered.get(str(response.status_code), 0) + 1
    assert answered["404"] and answered["403"] and answered["201"], answered
