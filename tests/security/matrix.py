"""How a cell of the permission matrix is asked and answered: the roles, the objects, the answer codes."""

import json

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.shortcuts import resolve_url
from django.urls import reverse

from tests.routes import named_routes

# role → the demo login that plays it (all of 锦江区, except the city overseer and the administrator)
ROLES = {
    "anonymous": None,
    "civil_affairs": "minzheng",
    "street_staff": "jiedao",
    "department_staff": "bumen",
    "secretary": "shuji",
    "auditor": "shenji",
    "overseer": "shiju",
    "admin": "admin",
}

# The answers, one letter per role in ROLES order:
#   o 2xx, nothing written          r a redirect (3xx), not to the login page, nothing written
#   w the write was made (2xx/3xx and the database changed)
#   l must sign in first: a page redirects to the login page; the API answers 401/403 to an anonymous caller
#   f 403 forbidden    n 404 not found (the right answer outside one's scope: existence is not confirmed)
#   m 405 method not allowed    b 400 bad request    c 409 conflict (the object is not in a state for this)
# Every answer but `w` to an unsafe method is also checked to have changed nothing.
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def parse(row: str) -> dict[str, str]:
    codes = row.split()
    assert len(codes) == len(ROLES), f"{row!r} needs one answer per role ({len(ROLES)})"
    return dict(zip(ROLES, codes, strict=True))


def out_of_scope(role: str) -> str:
    """The district whose object the role must not reach: 金牛区 for 锦江区's staff; the city overseer of
    成都市 sees 金牛区, so theirs is 市北区 (青岛市). The administrator reaches both."""
    return "市北区" if role == "overseer" else "金牛区"


# --- Enumerating what exists -------------------------------------------------------------------------------

# Not in the matrix, on purpose: Django's admin (its own staff-only permission system, covered by Django),
# switching the interface language (a cookie, no data), and the OpenAPI schema and docs pages (generated,
# public descriptions of the API, not data).
NOT_IN_MATRIX_PREFIXES = ("admin/",)
NOT_IN_MATRIX_NAMES = {"set_language", "api:schema", "api:api-docs"}


def url_patterns():
    """Every named URL pattern: (name, route), the API's routes with their `api:` namespace."""
    for name, route in named_routes():
        if route.startswith(NOT_IN_MATRIX_PREFIXES) or name in NOT_IN_MATRIX_NAMES:
            continue
        yield name, route


def api_operations() -> set[str]:
    """Every operation of the published OpenAPI schema, as "METHOD /path/"."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method in operations
        if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}
    }


# --- Asking one cell ---------------------------------------------------------------------------------------

# An API path's resource → the kind of object its {id} names (writes to items go to the draft's items)
API_OBJECT = {
    "applications": "application",
    "ballots": "ballot",
    "batches": "batch",
    "cities": "city",
    "communities": "community",
    "contracts": "contract",
    "departments": "department",
    "districts": "district",
    "imports": "import",
    "items": "item",
    "payments": "payment",
    "payment-imports": "payment_import",
    "policies": "district",
    "streets": "street",
    "users": "user",
    "versions": "version",
    "burden-reports": "report",
    "assessments": "assessment",
    "inspections": "inspection",
    "findings": "finding",
    "notices": "notice",
}


def api_object_kind(method: str, path: str) -> str | None:
    if "{" not in path:
        return None
    resource = path.removeprefix("/api/v1/").split("/")[0]
    if resource == "items" and method in UNSAFE:
        return "draft_item"  # a published item never changes; the draft's do, for civil affairs
    if resource == "versions" and path.endswith(("/publish/", "/diff/", "/import/")):
        return "draft"
    return API_OBJECT[resource]


def api_url(method: str, path: str, objects) -> str:
    kind = api_object_kind(method, path)
    if kind is None:
        return path
    return path.replace("{id}", str(objects[kind].pk)).replace("{district}", str(objects[kind].pk))


def page_url(key: str, kwargs_of: dict, objects) -> str:
    """`key` is a route name, with the value of its one literal argument in brackets: `contract-action[sign]`."""
    name, _, literal = key.partition("[")
    # An item's key (the same item across versions) names it where a route takes `key`; elsewhere its id.
    # A reply slip is named by its signed serial (`token`).
    kwargs = {
        arg: objects[kind].key if arg == "key" else objects[kind].token if arg == "token" else objects[kind].pk
        for arg, kind in kwargs_of.get(name, {}).items()
    }
    if literal:
        kwargs[LITERAL_ARG[name]] = literal.rstrip("]")
    return reverse(name, kwargs=kwargs)


LITERAL_ARG = {
    "application-action": "action",
    "contract-action": "action",
    "report-action": "action",
    "catalogue-export": "fmt",
    "catalogue-draft-export": "fmt",
    "funding-export": "fmt",
    "unfunded-export": "fmt",
    "catalogue-compare-export": "fmt",
}


def snapshot():
    """What a refused request must not change: every audited row change (on PostgreSQL the triggers record
    bulk updates too) and the row count of every table of the four apps."""
    from django.apps import apps

    from audits.models import AuditEntry
    from audits.trail import AUDITED_APPS

    tables = sorted(
        m._meta.db_table
        for label in AUDITED_APPS
        for m in apps.get_app_config(label).get_models(include_auto_created=True)
        if m._meta.db_table != "audits_auditentry"
    )
    sql = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM \"{t}\"" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        counts = dict(cursor.fetchall())
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return last, counts


def changes_since(before) -> list[str]:
    from audits.models import AuditEntry

    last, counts = before
    _last_now, counts_now = snapshot()
    written = list(
        AuditEntry.objects.filter(id__gt=last, action__in=["insert", "update", "delete"]).values_list(
            "action", "object_type", "object_id"
        )
    )
    grown = [f"{t}: {counts[t]} → {counts_now[t]}" for t in counts if counts[t] != counts_now[t]]
    return [" ".join(map(str, row)) for row in written] + grown


def answer_code(response, *, role: str, api: bool, changed: bool) -> str:
    status = response.status_code
    if changed:
        return "w" if status < 400 else f"written-but-{status}"
    if status in (301, 302, 303):
        return "l" if response["Location"].startswith(resolve_url(settings.LOGIN_URL)) else "r"
    if api and role == "anonymous" and status in (401, 403):
        return "l"
    return {200: "o", 201: "o", 204: "o", 400: "b", 403: "f", 404: "n", 405: "m", 409: "c"}.get(status, str(status))


def send(client, method: str, url: str, body=None, *, api: bool):
    if method == "GET":
        return client.get(url)
    if api and not any(isinstance(v, SimpleUploadedFile) for v in (body or {}).values()):
        return client.generic(method, url, json.dumps(body or {}), content_type="application/json")
    if method == "POST":
        return client.post(url, body or {})
    return client.generic(method, url, "", content_type="application/x-www-form-urlencoded")


# Which object each argument of a page's route names
PAGE_ARGS = {
    "org-unit": {"pk": "unit"},
    "policy": {"district_id": "district"},
    "district-catalogue": {"district_id": "district"},
    "catalogue-item": {"district_id": "district", "item_id": "item"},
    "catalogue-versions": {"district_id": "district"},
    "catalogue-diff": {"district_id": "district", "version_id": "draft"},
    "catalogue-export": {"district_id": "district"},
    "catalogue-draft": {"district_id": "district"},
    "catalogue-draft-new": {"district_id": "district"},
    "catalogue-draft-item": {"district_id": "district", "item_id": "draft_item"},
    "catalogue-draft-delete": {"district_id": "district", "item_id": "draft_item"},
    "catalogue-draft-import": {"district_id": "district"},
    "catalogue-demands": {"district_id": "district"},
    "catalogue-demand": {"district_id": "district", "record_id": "check_record"},
    "catalogue-draft-export": {"district_id": "district"},
    "catalogue-draft-discard": {"district_id": "district"},
    "catalogue-draft-revert": {"district_id": "district", "key": "draft_item"},
    "catalogue-import": {"district_id": "district", "import_id": "import"},
    "catalogue-import-errors": {"district_id": "district", "import_id": "refused_import"},
    "application": {"pk": "application"},
    "application-edit": {"pk": "application"},
    "attachment": {"pk": "application", "attachment_id": "attachment"},
    "application-action": {"pk": "application"},
    "batch": {"pk": "batch"},
    "ballot-vote": {"ballot_id": "ballot"},
    "contract": {"pk": "contract"},
    "contract-document": {"pk": "contract"},
    "contract-ocds": {"pk": "contract"},
    "contract-action": {"pk": "contract"},
    "contract-payments": {"pk": "contract"},
    "payment-import-detail": {"pk": "payment_import"},
    "payment-import-errors": {"pk": "refused_payment_import"},
    "report": {"pk": "report"},
    "evidence": {"pk": "report", "evidence_id": "evidence"},
    "report-action": {"pk": "report"},
    "assessment-answer": {"pk": "assessment"},
    "finding": {"pk": "finding"},
    "compliance": {"unit_id": "unit"},
    "notice": {"pk": "notice"},
    "check-slip-verify": {"token": "slip"},
    "application-form": {"pk": "application"},
    "application-form-pdf": {"pk": "application"},
    "batch-decision": {"pk": "batch"},
    "batch-decision-pdf": {"pk": "batch"},
    "notice-document": {"pk": "notice"},
    "notice-document-pdf": {"pk": "notice"},
    "check-slip-pdf": {"token": "slip"},
}


def _blank_picture():
    """A photo of nothing: read at once (no text is found), so every role's cell costs no recognition."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(out, "PNG")
    return SimpleUploadedFile("通知.png", out.getvalue(), content_type="image/png")


def _pdf():
    return SimpleUploadedFile("协议.pdf", b"%PDF-1.4\n1 0 obj\n%%EOF\n", content_type="application/pdf")


def _voucher_sheet(objects, voucher):
    contract, instalment = objects["contract"], objects["instalment"]
    text = "合同编号,社区,期次,凭证号,付款日期,金额\n"
    text += f"{contract.number},{instalment.community.name},1,{voucher},{objects['payment'].paid_on},10.00\n"
    return SimpleUploadedFile("凭证.csv", text.encode(), content_type="text/csv")


def _item_content(objects, **changes):
    from catalog.api.serializers import CatalogueItemSerializer
    from catalog.models import CatalogueItem

    data = CatalogueItemSerializer(objects["draft_item"]).data
    return {name: data[name] for name in CatalogueItem.CONTENT_FIELDS if name in data} | changes


def _application(objects):
    from django.utils import timezone

    from approvals.services import next_batch_dates

    start = next_batch_dates(objects["district"], timezone.localdate())["committee_meets"].replace(day=1)
    return {
        "title": "协助开展控烟宣传",
        "reason": "控烟条例要求社区开展宣传。",
        "basis_document": "控烟条例",
        "requested_list": "assistance",
        "item_type": "work_task",
        "scope": "all",
        "workload": "每社区每年约1个工作日",
        "start_date": str(start.replace(year=start.year + 1)),
        "payer": objects["department"].pk,
        "amount_per_community": "300.00",
    }


def _contract(objects):
    year = objects["contract"].starts_on.year
    return {
        "number": "TEST-NEW-1",
        "item": objects["assistance"].pk,
        "communities": [objects["community"].pk],
        "amount_per_community": "800.00",
        "starts_on": f"{year}-01-01",
        "ends_on": f"{year}-12-31",
        "schedule": [{"due_on": f"{year}-12-31", "share": "100"}],
    }


# A body each unsafe API operation accepts from a role that may make it, so that a refusal is the
# permission's answer and not a validation error's.
API_BODIES = {
    "POST /api/v1/check/photo/": lambda o: {"image": _blank_picture(), "community": o["community"].pk},
    "POST /api/v1/check/notice/": lambda o: {"text": "各社区：\n一、请协助协税。", "community": o["community"].pk},
    "POST /api/v1/applications/": _application,
    "PUT /api/v1/applications/{id}/": _application,
    "PATCH /api/v1/applications/{id}/": lambda o: {"title": "协助开展控烟宣传（修改）"},
    "POST /api/v1/applications/{id}/decide/": lambda o: {"approve": True, "text": "同意"},
    "POST /api/v1/applications/{id}/review/": lambda o: {"text": "同意提交委员会"},
    "POST /api/v1/applications/{id}/submit/": lambda o: {},
    "POST /api/v1/applications/{id}/withdraw/": lambda o: {"text": "不再需要"},
    "POST /api/v1/auth/token/": lambda o: {"username": "admin", "password": "wrong password"},
    "POST /api/v1/ballots/{id}/vote/": lambda o: {"vote": "agree", "comment": ""},
    "POST /api/v1/batches/{id}/open/": lambda o: {},
    "POST /api/v1/batches/{id}/tally/": lambda o: {"reason": "委员会决定提前截止"},  # before the deadline
    "POST /api/v1/contracts/": _contract,
    "POST /api/v1/contracts/{id}/amend/": lambda o: {"reason": "增加经费", "amount_per_community": "1100.00"},
    "POST /api/v1/contracts/{id}/sign/": lambda o: {"document": _pdf()},
    "POST /api/v1/contracts/{id}/terminate/": lambda o: {"reason": "事项取消"},
    "POST /api/v1/items/": lambda o: _item_content(o, code="T-NEW", district=o["district"].pk),
    "PUT /api/v1/items/{id}/": lambda o: _item_content(o, title="改过的事项"),
    "PATCH /api/v1/items/{id}/": lambda o: {"title": "改过的事项"},
    "DELETE /api/v1/items/{id}/": lambda o: {},
    "POST /api/v1/payments/": lambda o: {
        "instalment": o["instalment"].pk,
        "amount": "10.00",
        "paid_on": str(o["payment"].paid_on),
        "voucher": "记-NEW-1",
    },
    "POST /api/v1/payments/{id}/reverse/": lambda o: {"voucher": "冲-1", "reason": "录错"},
    "POST /api/v1/contracts/{id}/payments/": lambda o: {
        "payments": [
            {
                "instalment": o["instalment"].pk,
                "amount": "10.00",
                "paid_on": str(o["payment"].paid_on),
                "voucher": "批-1",
            }
        ]
    },
    "POST /api/v1/payment-imports/": lambda o: {"file": _voucher_sheet(o, "导-NEW-1")},
    "PUT /api/v1/policies/{district}/": lambda o: {
        "pass_threshold_percent": "70.00",
        "pass_rate_basis": "consulted",
        "first_batch_month": 1,
        "second_batch_month": 7,
        "expedited_notice_working_days": 3,
        "intake_close_day": 5,
        "consultation_end_day": 20,
        "committee_day": 28,
    },
    "PATCH /api/v1/policies/{district}/": lambda o: {"pass_threshold_percent": "70.00"},
    "POST /api/v1/versions/{id}/publish/": lambda o: {"effective_from": "2099-01-01", "title": "测试版"},
    "POST /api/v1/versions/{id}/import/": lambda o: {
        "file": SimpleUploadedFile("清单.csv", "清单,事项名称\n履职,组织邻里节\n".encode(), content_type="text/csv")
    },
    "POST /api/v1/imports/{id}/apply/": lambda o: {"whole_lists": []},
    "POST /api/v1/burden-reports/": lambda o: {
        "demanding_unit": o["department"].pk,
        "demand": "卫健局要求社区每周上报居民健康档案",
        "demanded_on": str(o["payment"].paid_on),
    },
    "POST /api/v1/burden-reports/{id}/triage/": lambda o: {"decision": "open", "note": "立案"},
    "POST /api/v1/burden-reports/{id}/explain/": lambda o: {"explanation": "依据上级文件"},
    "POST /api/v1/assessments/": lambda o: {
        "community": o["community"].pk,
        "title": "健康社区评比",
        "held_on": str(o["payment"].paid_on),
    },
    "POST /api/v1/assessments/{id}/dispute/": lambda o: {"reason": "当天未举行"},
    "POST /api/v1/inspections/": lambda o: {
        "unit": o["department"].pk,
        "title": "专项督查",
        "planned_on": str(o["payment"].paid_on),
    },
    "POST /api/v1/findings/": lambda o: {"unit": o["department"].pk, "kind": "other", "description": "下派台账。"},
    "POST /api/v1/findings/{id}/notice/": lambda o: {
        "title": "关于违规下派台账的通报",
        "body": "限期改正。",
        "correct_by": str(o["notice"].correct_by),
    },
    "POST /api/v1/notices/{id}/answer/": lambda o: {"answer": "已改正"},
    "POST /api/v1/notices/{id}/close/": lambda o: {"verification": "回访核实"},
    "POST /api/v1/notices/{id}/reopen/": lambda o: {"verification": "回访核实"},
}


def ask(client, world, *, key: str, method: str, role: str, scope: str | None) -> tuple[str, list[str]]:
    """Send one cell's request as `role` (the client is already signed in) and return its answer code and,
    for an unsafe method, what it changed. `key` is "METHOD /api/path/" for the API, a route name for pages."""
    district = "锦江区" if scope in (None, "in") else out_of_scope(role)
    objects = world[district]
    api = key.split(" ", 1)[0] in UNSAFE | {"GET"}
    if api:
        method, path = key.split(" ", 1)
        url = api_url(method, path, objects) + API_QUERIES.get(key, lambda o: "")(objects)
        body = API_BODIES.get(key, lambda o: {})(objects)
    else:
        url = page_url(key, PAGE_ARGS, objects)
        body = PAGE_BODIES.get(key, lambda o: {})(objects) if method == "POST" else None
        api = key.startswith("api:")
    before = snapshot() if method in UNSAFE else None
    response = send(client, method, url, body, api=api)
    changed = changes_since(before) if before else []
    return answer_code(response, role=role, api=api, changed=bool(changed)), changed


API_QUERIES = {
    "GET /api/v1/items/": lambda o: f"?district={o['district'].pk}",
    "GET /api/v1/check/": lambda o: f"?community={o['community'].pk}&q=协税",
}

# A form each page action accepts from a role that may take it (the rest post an empty form).
PAGE_BODIES = {
    "check-slip": lambda o: {"community": o["community"].pk, "q": "协税", "demanding_unit": "区税务局"},
    "check-photo": lambda o: {"image": _blank_picture(), "community": o["community"].pk},
    "check-notice": lambda o: {"text": "各社区：\n一、请协助协税。", "community": o["community"].pk},
    "check-notice-slip": lambda o: {"text": "各社区：\n一、请协助协税。", "community": o["community"].pk},
    "application-action[attach]": lambda o: {"file": _pdf()},
    "application-action[review]": lambda o: {"text": "同意"},
    "application-action[withdraw]": lambda o: {"text": "不再需要"},
    "catalogue-draft-delete": lambda o: {"confirm": "yes"},  # past the ask-first step
    "batch": lambda o: {"action": "tally", "confirm": "yes", "reason": "委员会决定提前截止"},  # past the ask-first step
    "ballot-vote": lambda o: {"vote": "agree", "comment": "", "confirm": "yes"},
    "contract-action[sign]": lambda o: {"document": _pdf()},
    "contract-action[pay]": lambda o: {
        "instalment": o["instalment"].pk,
        "amount": "10.00",
        "paid_on": str(o["payment"].paid_on),
        "voucher": "记-NEW-2",
        "note": "",
    },
    "contract-action[reverse]": lambda o: {
        "payment": o["payment"].pk,
        "voucher": "冲-2",
        "reason": "录错",
        "confirm": "1",
    },
    "contract-action[amend]": lambda o: {"reason": "增加经费", "amount_per_community": "1100.00"},
    "contract-action[terminate]": lambda o: {"reason": "事项取消", "confirm": "1"},
    "contract-payments": lambda o: {
        f"voucher_{o['instalment'].pk}": "批-2",
        f"amount_{o['instalment'].pk}": "10.00",
        "paid_on": str(o["payment"].paid_on),
        "confirm": "yes",  # past the ask-first step
    },
    "payment-import": lambda o: {"file": _voucher_sheet(o, "导-NEW-2")},
    "payment-import-detail": lambda o: {"action": "apply", "confirm": "yes"},
    "report-action[triage]": lambda o: {"decision": "open", "note": "立案"},
    "report-action[explain]": lambda o: {"explanation": "依据上级文件"},
    "assessment-answer": lambda o: {"answer": "confirm"},
    "finding": lambda o: {"action": "dismiss"},
    "notice": lambda o: {"action": "answer", "answer": "已改正"},
    "policy": lambda o: {"pass_threshold_percent": "70"},
    "catalogue-demand": lambda o: {"action": "unlisted", "note": "无依据"},
    "catalogue-import": lambda o: {"action": "cancel"},
}
