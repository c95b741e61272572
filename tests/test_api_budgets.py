"""Every API endpoint has a query budget; a new endpoint without one fails here."""

from datetime import date
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from tests.conftest import trail_queries
from tests.routes import named_routes
from tests.test_page_budgets import _payment_import

pytestmark = pytest.mark.django_db

# The GETs that write an audited row (an export's record): on SQLite its entry costs queries in the request.
WRITES = {"contract-ocds": 1}
# name → (query budget for a GET as the administrator, the object or query it needs)
# (A signed-in request costs 2 queries for the session and the user before the endpoint does anything.)
BUDGETS = {
    "me": (2, None),
    "check": (9, "check"),  # + the INSERT that keeps the check, in a savepoint in a test (3 queries)
    "city-list": (4, None),
    "city-detail": (3, "city"),
    "district-list": (4, None),
    "district-detail": (3, "district"),
    "street-list": (4, None),
    "street-detail": (3, "street"),
    "community-list": (4, None),
    "community-detail": (3, "community"),
    "department-list": (4, None),
    "department-detail": (3, "department"),
    "user-list": (4, None),
    "user-detail": (3, "user"),
    "policy-list": (4, None),
    "policy-detail": (3, "district"),
    "version-list": (4, None),
    "version-detail": (3, "version"),
    "version-diff": (6, "version"),
    "import-detail": (8, "import"),  # the proposal is recomputed against the draft: its items, once
    "item-list": (4, "items"),
    "item-detail": (3, "item"),
    "application-list": (5, None),
    "application-detail": (7, "application"),
    "batch-list": (4, None),
    "batch-detail": (3, "batch"),
    "ballot-list": (2, None),
    "contract-list": (4, None),
    "contract-detail": (6, "contract"),
    "contract-ocds": (12, "contract"),  # records the export (on SQLite its audit entry too: WRITES)
    "payment-list": (3, None),
    "payment-detail": (3, "payment"),
    "payment-import-list": (3, None),
    "payment-import-detail": (3, "payment_import"),
    "unfunded": (7, None),  # + the communities each assistance item applies to
    "funding-report": (5, None),  # what fell due, what was paid towards it, what was paid in the period
    "trail": (18, None),  # + the people, and each kind of object the entries name, once
    "burden-report-list": (3, None),
    "burden-report-detail": (4, "burden_report"),  # + its evidence
    "assessment-list": (3, None),
    "assessment-detail": (3, "assessment"),
    "inspection-list": (3, None),
    "inspection-detail": (3, "inspection"),
    "finding-list": (3, None),
    "finding-detail": (3, "finding"),
    "notice-list": (3, None),
    "notice-detail": (3, "notice"),
}
WRITE_ACTIONS = {
    "application-submit",
    "application-withdraw",
    "application-review",
    "application-decide",
    "ballot-vote",
    "batch-open",
    "batch-tally",
    "contract-sign",
    "contract-amend",
    "contract-terminate",
    "payment-reverse",
    "contract-payments",
    "payment-import-apply",
    "payment-import-cancel",
    "version-publish",
    "version-import-sheet",
    "import-apply",
    "import-cancel",
    "ballot-detail",  # a secretary's own ballot: covered by the ballot-list budget
    "burden-report-triage",
    "burden-report-explain",
    "assessment-confirm",
    "assessment-dispute",
    "finding-confirm",
    "finding-dismiss",
    "finding-notice",
    "notice-answer",
    "notice-close",
    "notice-reopen",
}
NOT_DATA = {"api-root", "api-docs", "schema", "api-token"}
# A notice's demands, judged at once (POST): the community and the version in force once, then each demand
# as the check judges it (its ranked items' funding and assessments, the urgent items that may cover it).
NOTICE_BUDGETS = {"check-notice": (4, 3), "check-photo": (4, 3)}  # name → (fixed, per demand)


def api_route_names() -> set[str]:
    return {name.removeprefix("api:") for name, _route in named_routes() if name.startswith("api:")}


def test_every_api_endpoint_has_a_query_budget():
    assert api_route_names() - set(BUDGETS) - set(NOTICE_BUDGETS) - WRITE_ACTIONS - NOT_DATA == set()


def test_every_endpoint_stays_within_its_budget(client, world):
    from django.utils import timezone

    from approvals.models import Application, Batch
    from audits import services as audits
    from audits.models import BurdenReport, Finding, Inspection, Notice
    from catalog import services
    from catalog.demo import load_demo
    from catalog.imports import import_propose
    from catalog.models import CatalogueItem, CatalogueVersion, Unit, User
    from funding.models import Contract, Payment

    load_demo()
    jinjiang, community = world.unit("锦江区"), world.unit("牛沙路社区")
    draft = services.draft_start(district=jinjiang, actor=world.user("minzheng"))
    sheet = BytesIO("清单,事项名称\n履职,组织邻里节活动\n".encode())
    proposal = import_propose(draft=draft, actor=world.user("minzheng"), upload=sheet, filename="清单.csv")
    objects = {
        "city": world.unit("成都市"),
        "district": jinjiang,
        "street": world.unit("双桂路街道"),
        "community": community,
        "department": Unit.objects.departments().first(),
        "user": User.objects.first(),
        "version": CatalogueVersion.objects.filter(district=jinjiang, number=2).get(),
        "item": CatalogueItem.objects.filter(version__state="published").first(),
        "application": Application.objects.first(),
        "batch": Batch.objects.first(),
        "contract": Contract.objects.first(),
        "payment": Payment.objects.first(),
        "import": proposal,
        "payment_import": _payment_import(world),
        "burden_report": BurdenReport.objects.first(),
        "assessment": audits.assessment_enter(
            actor=world.user("jiedao"), community=community, title="健康社区评比", held_on=timezone.localdate()
        ),
        "inspection": Inspection.objects.first(),
        "finding": Finding.objects.first(),
        "notice": Notice.objects.first(),
    }
    queries = {"check": f"?community={community.pk}&q=协税", "items": f"?district={jinjiang.pk}&q=协助"}
    client.force_login(world.user("admin"))
    dummy = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    for name, (budget, needs) in BUDGETS.items():
        kwargs = {}
        if needs in objects:
            kwargs = {"district": objects[needs].pk} if name == "policy-detail" else {"pk": objects[needs].pk}
        url = reverse(f"api:{name}", kwargs=kwargs) + queries.get(needs, "")
        with override_settings(CACHES=dummy):  # the budget is for the work, not for a cached answer
            client.get(url)  # warm per-process caches (the segmenter's dictionary, content types)
            with CaptureQueriesContext(connection) as context:
                status = client.get(url).status_code
        assert status == 200, (url, status)
        budget += trail_queries(WRITES.get(name, 0))
        assert len(context) <= budget, (url, len(context), budget)


def test_a_notice_costs_a_bounded_number_of_queries_per_demand(client, world):
    from PIL import Image

    community = world.unit("牛沙路社区")
    points = [
        "请协助做好协税工作。",
        "调解邻里纠纷。",
        "组织开展消防安全宣传。",
        "统计辖区养犬户数量。",
        "请上报招商引资任务。",
    ]
    dummy = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    picture = BytesIO()
    Image.new("RGB", (60, 40), "white").save(picture, "PNG")  # no text: the budget is the database's, not the OCR's
    for name, (fixed, per_demand) in NOTICE_BUDGETS.items():
        for n in (1, len(points)):
            if name == "check-photo":
                picture.seek(0)
                picture.name = "通知.png"
                body, n = {"image": picture, "community": community.pk}, 0
            else:
                text = "各社区：\n" + "\n".join(f"{i + 1}、{p}" for i, p in enumerate(points[:n]))
                body = {"text": text, "community": community.pk}
            with override_settings(CACHES=dummy), CaptureQueriesContext(connection) as context:
                response = client.post(reverse(f"api:{name}"), body)
            assert response.status_code == 200, (name, response.content)
            assert len(response.json()["demands"]) == n
            assert len(context) <= fixed + per_demand * n, (name, n, len(context))


def test_the_brief_application_list_costs_the_same_with_more_applications(
    client, world, django_capture_on_commit_callbacks
):
    """The reviewer's queue (`?brief=1`): the session, the user and their unit, then one query for the rows with
    their scopes, however many applications the page holds (the full list adds a query per scope relation).
    Asked again with nothing changed, it is kept (approvals.answers): the session and the user."""
    from approvals.models import Application
    from approvals.services import application_save

    client.force_login(world.user("minzheng"))
    url = reverse("api:application-list") + "?brief=1&page_size=200"
    applicant, district = world.user("bumen"), world.unit("锦江区")
    communities = list(world.unit("双桂路街道").children.all()[:3])
    costs = []
    for more in (0, 5):
        for i in range(more):
            with django_capture_on_commit_callbacks(execute=True):  # each commit retires the kept queue
                application_save(
                    actor=applicant,
                    title=f"协助开展第{i}次入户调查",
                    reason="需要社区通知居民。",
                    requested_list="assistance",
                    item_type="work_task",
                    scope="communities",
                    scope_communities=communities,
                    workload="每社区约1个工作日",
                    start_date=date(2027, 3, 1),
                )
        for _asked in ("first", "again"):
            with CaptureQueriesContext(connection) as context:
                response = client.get(url)
            assert response.status_code == 200
            assert len(response.json()["results"]) == Application.objects.filter(district=district).count()
            costs.append(len(context))
    assert costs == [4, 2, 4, 2]


def test_a_payment_costs_a_bounded_number_of_queries(api_client, world):
    """POST /api/v1/payments/: in the transaction, the instalment read once, in the caller's scope, locked with its
    contract and (unlocked) its community for the answer; the insert in a savepoint with its audit entry, and the
    instalment's total (a voucher's earlier payment is read only when the insert finds one). (In tests the audit
    entry is written from a signal: the payment's instalment and contract, a savepoint, the last hash and the
    insert. On PostgreSQL in production the trigger writes it inside the INSERT.)"""
    from django.db.models import F

    from catalog.demo import load_demo
    from funding.models import Instalment

    load_demo()
    instalment = (
        Instalment.objects.filter(
            contract__payer=world.user("bumen").unit, contract__state="in_force", paid__lt=F("amount") - 1
        )
        .select_related("contract")
        .first()
    )
    api_client.force_authenticate(world.user("bumen"))
    body = {"instalment": instalment.pk, "paid_on": str(instalment.contract.starts_on), "amount": "0.01"}
    for n in range(2):
        with CaptureQueriesContext(connection) as context:
            response = api_client.post("/api/v1/payments/", body | {"voucher": f"预算-{n}"}, format="json")
        assert response.status_code == 201, response.content
        assert response.json()["community_name"]
        # On SQLite the entry is written from a signal: the instalment and contract it names, the head, the entry.
        assert len(context) <= 9 + trail_queries(4), [q["sql"][:80] for q in context.captured_queries]


# name → (query budget for a search asked again, anonymous and signed in: 2 more for the session and the user)
HIT_BUDGETS = {"item-list": (0, 2)}


def test_a_search_asked_again_stays_within_its_hit_budget(client, world):
    url = reverse("api:item-list") + f"?district={world.unit('锦江区').pk}&q=协助&page_size=20"
    for name, budgets in HIT_BUDGETS.items():
        for budget, username in zip(budgets, (None, "admin"), strict=True):
            if username:
                client.force_login(world.user(username))
            assert client.get(url).status_code == 200  # kept (the first time)
            with CaptureQueriesContext(connection) as context:
                assert client.get(url).status_code == 200
            assert len(context) <= budget, (name, username, context.captured_queries)
