"""Every page has a query budget; a new page without one fails here.

Each page is asked for with the full demo loaded, by a user who may see it (the lists' own tests pin that their
count does not grow with the rows: 32 versus 232 items). Answers cached by catalog.answers are turned off, so
a budget is for the page's work, not for a cache hit.
"""

from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from tests.approvals.conftest import applicant, file_application  # noqa: F401 (fixtures)
from tests.routes import named_routes

pytestmark = pytest.mark.django_db
IMPORT_SHEET = "清单,事项名称,事项内容\n履职,组织社区志愿服务,改过的内容\n履职,组织邻里节活动,\n".encode()

# name → (query budget for a GET, who asks, the object it needs)
# (A signed-in request costs 2 queries for the session and the user, and the inbox count 1, before the view.)
BUDGETS = {
    "landing": (3, None, None),
    "home": (22, "minzheng", None),  # the workbench: one query per kind of task and figure (test_workbench.py)
    "inbox": (6, "minzheng", None),
    "org-index": (6, None, None),
    "org-unit": (8, None, "district"),
    "policy": (6, "minzheng", "policy"),
    "catalogue-index": (3, None, None),
    "catalogue-template": (3, None, None),
    "catalogue-compare": (10, "shiju", None),
    "catalogue-dashboard": (8, "shiju", None),
    "district-catalogue": (6, None, "district_id"),
    "catalogue-item": (6, None, "item"),
    "catalogue-versions": (6, None, "district_id"),
    "catalogue-diff": (8, None, "diff"),
    "catalogue-draft": (13, "minzheng", "district_id"),  # + the imports waiting for a decision
    "catalogue-draft-new": (8, "minzheng", "district_id"),
    "catalogue-draft-item": (9, "minzheng", "draft_item"),  # + the communities the item applies to
    "catalogue-demands": (10, "minzheng", "district_id"),
    "catalogue-demand": (10, "minzheng", "demand"),
    "unlisted-burden": (6, "shiju", None),
    "catalogue-draft-discard": (10, "minzheng", "district_id"),
    "catalogue-draft-revert": (10, "minzheng", "revert"),
    "catalogue-import": (12, "minzheng", "import"),
    "check": (13, None, "check"),  # + the INSERT that keeps the check, in a savepoint in a test (3 queries)
    "check-slip-verify": (3, None, "slip"),  # the slip as issued, with its district, community and street
    "applications": (8, "jiedao", None),
    "application-new": (10, "jiedao", None),
    "application": (16, "minzheng", "application"),
    "application-edit": (12, "bumen", "draft_application"),
    "application-form": (16, "minzheng", "application"),  # the 审批表's print view: the application page's reads
    "review-queue": (8, "minzheng", None),
    "batches": (6, "minzheng", None),
    "batch": (10, "minzheng", "batch"),
    "batch-decision": (10, "minzheng", "batch"),
    "ballots": (8, "shuji", None),
    "contracts": (8, "bumen", None),
    "contract-new": (10, "bumen", None),
    "contract": (14, "bumen", "contract"),
    "contract-payments": (7, "bumen", "payable_contract"),  # one row per instalment due: read at once
    "payment-import": (6, "bumen", None),
    "payment-import-detail": (7, "bumen", "payment_import"),
    "owed": (8, "shuji", None),
    "unfunded": (10, "minzheng", None),
    "funding-report": (10, "shenji", None),
    "reports": (8, "minzheng", None),
    "report-new": (8, "shuji", None),
    "report": (12, "minzheng", "report"),
    "assessments": (8, "minzheng", None),
    "assessment-new": (8, "bumen", None),
    "findings": (10, "minzheng", None),
    "finding": (10, "minzheng", "finding"),
    "compliance": (13, "minzheng", "unit_id"),  # + the communities unfunded items apply to
    "notices": (6, None, None),
    "notice": (8, None, "notice"),
    "notice-document": (8, None, "notice"),
    "audit-trail": (20, "shenji", None),  # + the people, and each kind of object the entries name, once
    "login": (2, None, None),
    "two-factor": (6, "minzheng", None),
    "api-tokens": (4, "minzheng", None),
    "healthz": (2, None, None),
}
# Not pages: POST-only actions (refused on GET), file downloads and exports (their tests pin what they read and
# that memory stays flat), the reply slip PDF (rendered by the check page's budget plus the PDF writer).
NOT_PAGES = {
    "catalogue-draft-delete",
    "catalogue-draft-import",
    "catalogue-draft-export",
    "catalogue-import-errors",
    "catalogue-export",
    "check-slip",
    "check-slip-pdf",
    "application-form-pdf",  # the PDFs of the print views: the same reads plus the PDF writer
    "batch-decision-pdf",
    "notice-document-pdf",
    "check-photo",  # 拍照查一查, POST only: its reading and judging are pinned in tests/catalog/test_notice_pages.py
    "check-notice",
    "check-notice-slip",
    "application-action",
    "application-validate",  # POST only: one field of the form checked (tests/approvals/test_inline_validation.py)
    "attachment",
    "ballot-vote",
    "contract-document",
    "contract-ocds",
    "contract-action",
    "funding-export",
    "unfunded-export",
    "catalogue-compare-export",
    "payment-import-template",
    "payment-import-errors",
    "report-action",
    "evidence",
    "assessment-answer",
    "finding-new",
    "inspection-new",
    "audit-trail-export",
    "audit-trail-export-xlsx",
    "login-verify",  # the second login step: reached only with a password just checked (test_hardening.py)
    "logout",
    "set_language",
}


def page_route_names() -> set[str]:
    return {name for name, _route in named_routes() if ":" not in name}


def test_every_page_has_a_query_budget():
    names = page_route_names()
    assert names - set(BUDGETS) - NOT_PAGES == set(), "give these pages a budget"
    assert (set(BUDGETS) | NOT_PAGES) - names == set(), "these pages are gone: remove them here"


def _objects(world):
    from approvals.models import Application, Batch
    from audits.models import BurdenReport, Finding, Notice
    from catalog.models import CatalogueImport, CatalogueItem, CatalogueVersion, DistrictPolicy
    from funding.models import Contract

    jinjiang = world.unit("锦江区")
    payment_import = _payment_import(world)
    draft_application = Application.objects.filter(state="draft", created_by=world.user("bumen")).first()
    draft_item = CatalogueItem.objects.filter(version__district=jinjiang, version__state="draft").first()
    proposal = CatalogueImport.objects.filter(draft__district=jinjiang, state="proposed").first()
    version = CatalogueVersion.objects.filter(district=jinjiang, number=2).get()
    item = CatalogueItem.objects.filter(version=version).first()
    from catalog.demands import check_record

    demand = check_record(
        community_id=world.unit("牛沙路社区").pk,
        district_id=jinjiang.pk,
        on=version.effective_from,
        text="卫健局要求社区组织居民观看养生讲座",
        verdict="not_listed",
    )
    from catalog.check import check_demand
    from catalog.slips import slip_issue

    slip = slip_issue(result=check_demand(community=world.unit("牛沙路社区"), on=version.effective_from, q="协税"))
    return {
        "slip": {"token": slip.token},
        "demand": {"district_id": jinjiang.pk, "record_id": demand.pk},
        "district": {"pk": jinjiang.pk},
        "district_id": {"district_id": jinjiang.pk},
        "unit_id": {"unit_id": world.user("bumen").unit_id},
        "policy": {"district_id": DistrictPolicy.objects.get(district=jinjiang).district_id},
        "item": {"district_id": jinjiang.pk, "item_id": item.pk},
        "diff": {"district_id": jinjiang.pk, "version_id": version.pk},
        "draft_item": {"district_id": jinjiang.pk, "item_id": draft_item.pk} if draft_item else None,
        "revert": {"district_id": jinjiang.pk, "key": draft_item.key} if draft_item else None,
        "import": {"district_id": jinjiang.pk, "import_id": proposal.pk} if proposal else None,
        "application": {"pk": Application.objects.filter(district=jinjiang).exclude(state="draft").first().pk},
        "draft_application": {"pk": draft_application.pk} if draft_application else None,
        "batch": {"pk": Batch.objects.filter(district=jinjiang).first().pk},
        "contract": {"pk": Contract.objects.filter(payer=world.user("bumen").unit).first().pk},
        "payment_import": {"pk": payment_import.pk},
        "payable_contract": {
            "pk": payment_import.payer.contracts_paid.get(number=payment_import.lines[0]["contract"]).pk
        },
        "report": {"pk": BurdenReport.objects.filter(district=jinjiang).first().pk},
        "finding": {"pk": Finding.objects.filter(district=jinjiang).first().pk},
        "notice": {"pk": Notice.objects.exclude(state="draft").first().pk},
    }


def _payment_import(world):
    """A sheet of one voucher for an instalment still due of the department's contracts, proposed."""
    from django.db.models import F

    from funding.models import Instalment
    from funding.payment_imports import import_propose

    instalment = (
        Instalment.objects.filter(
            contract__payer=world.user("bumen").unit, contract__state="in_force", paid__lt=F("amount")
        )
        .select_related("contract", "community")
        .first()
    )
    contract = instalment.contract
    sheet = f"合同编号,社区,期次,凭证号,付款日期,金额\n{contract.number},{instalment.community.name},"
    sheet += f"{instalment.sequence},预算-1,{contract.starts_on},0.01\n"
    return import_propose(actor=world.user("bumen"), upload=BytesIO(sheet.encode()), filename="凭证.csv")


def test_every_page_stays_within_its_budget(client, world, file_application):
    from catalog import services as catalog
    from catalog.demo import load_demo
    from catalog.imports import import_propose

    load_demo()
    draft = catalog.draft_start(district=world.unit("锦江区"), actor=world.user("minzheng"))
    import_propose(draft=draft, actor=world.user("minzheng"), upload=BytesIO(IMPORT_SHEET), filename="清单.csv")
    file_application()  # a draft the department can still edit
    objects = _objects(world)
    queries = {"check": f"?community={world.unit('牛沙路社区').pk}&q=协税"}
    over = []
    dummy = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    for name, (budget, username, needs) in BUDGETS.items():
        kwargs = objects.get(needs, {})
        assert kwargs is not None, f"the demo has no object for {name}"
        client.logout()
        if username:
            client.force_login(world.user(username))
        url = reverse(name, kwargs=kwargs) + queries.get(needs, "")
        with override_settings(CACHES=dummy):
            client.get(url)  # warm per-process caches (the segmenter's dictionary, content types)
            with CaptureQueriesContext(connection) as context:
                status = client.get(url).status_code
        if status != 200 or len(context) > budget:
            over.append((name, url, status, len(context), budget))
    heading = "pages refused or over their budget: (name, url, status, queries, budget)"
    assert not over, "\n".join([heading, *map(str, over)])


# name → query budget for a page asked again by a visitor who is not signed in (catalog.answers keeps it whole)
HIT_BUDGETS = {"district-catalogue": 0}


def test_a_page_asked_again_stays_within_its_hit_budget(client, world):
    queries = {"district-catalogue": "?q=低保&list=assistance"}
    for name, budget in HIT_BUDGETS.items():
        url = reverse(name, kwargs={"district_id": world.unit("锦江区").pk}) + queries[name]
        assert client.get(url).status_code == 200  # kept
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        assert len(context) <= budget, (url, context.captured_queries)
