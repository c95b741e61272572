"""The permission matrix: every page and API operation × every role × an object in and out of the role's scope.

The tables below are the answers we expect. The routes come from the URLconf and the operations from the
OpenAPI schema: one of either that the tables do not list fails `test_every_*_is_in_the_matrix`, and so does
a table entry for something that no longer exists. Each cell is its own test case, named
`route|method|role|scope`, so a failure names the cell. The answer letters are explained in `matrix.py`;
each row lists them in the order anonymous, civil affairs, street staff, department staff, secretary,
auditor, overseer, administrator. For a route with an object, the pair is (an object of 锦江区, the
role's own district; an object of another district: 金牛区, or 市北区 for the 成都 overseer).
"""

import pytest
from django.urls import resolve

from .matrix import PAGE_ARGS, api_object_kind, api_operations, ask, parse, url_patterns

# Page route (with its literal argument in brackets where it takes one) → method → answers
PAGES = {
    "landing": {
        "GET": "o o o o o o o o",
        "POST": "m m m m m f f m",
    },
    "home": {
        "GET": "l o o o o o o o",
        "POST": "l m m m m f f m",
    },
    "inbox": {
        "GET": "l o o o o o o o",
        "POST": "l r r r r r r r",
    },
    "org-index": {
        "GET": "o o o o o o o o",
        "POST": "m m m m m f f m",
    },
    "org-unit": {
        "GET": ("o o o o o o o o", "o o o o o o o o"),
        "POST": ("m m m m m f f m", "m m m m m f f m"),
    },
    "policy": {
        "GET": ("l o o o o o o o", "l n n n n n n o"),
        "POST": ("l o f f f f f o", "l n n n n f f o"),
    },
    "catalogue-index": {
        "GET": "o o o o o o o o",
        "POST": "m m m m m f f m",
    },
    "catalogue-template": {
        "GET": "o o o o o o o o",
        "POST": "m m m m m f f m",
    },
    "catalogue-compare": {
        "GET": "l f f f f f o o",
        "POST": "l m m m m f f m",
    },
    "catalogue-compare-export[xlsx]": {
        "GET": "l f f f f f o o",
        "POST": "l m m m m f f m",
    },
    "catalogue-dashboard": {
        "GET": "l o o o o o o o",
        "POST": "l m m m m f f m",
    },
    "district-catalogue": {
        "GET": ("o o o o o o o o", "o o o o o o o o"),
        "POST": ("m m m m m f f m", "m m m m m f f m"),
    },
    "catalogue-item": {
        "GET": ("o o o o o o o o", "o o o o o o o o"),
        "POST": ("m m m m m f f m", "m m m m m f f m"),
    },
    "catalogue-versions": {
        "GET": ("o o o o o o o o", "o o o o o o o o"),
        "POST": ("m m m m m f f m", "m m m m m f f m"),
    },
    "catalogue-diff": {
        "GET": ("n o n n n o o o", "n n n n n n n o"),
        "POST": ("m m m m m f f m", "m m m m m f f m"),
    },
    "catalogue-export[csv]": {
        "GET": ("o o o o o o o o", "o o o o o o o o"),
        "POST": ("m m m m m f f m", "m m m m m f f m"),
    },
    "catalogue-draft": {
        "GET": ("l o f f f f f o", "l n n n n n n o"),
        "POST": ("l o f f f f f o", "l n n n n f f o"),
    },
    "catalogue-draft-new": {
        "GET": ("l o f f f f f o", "l n n n n n n o"),
        "POST": ("l o f f f f f o", "l n n n n f f o"),
    },
    "catalogue-draft-item": {
        "GET": ("l o f f f f f o", "l n n n n n n o"),
        "POST": ("l o f f f f f o", "l n n n n f f o"),
    },
    "catalogue-draft-delete": {
        "GET": ("l m m m m m m m", "l m m m m m m m"),
        "POST": ("l w f f f f f w", "l n n n n f f w"),
    },
    "catalogue-draft-import": {
        "GET": ("l m m m m m m m", "l m m m m m m m"),
        "POST": ("l r f f f f f r", "l n n n n f f r"),
    },
    "catalogue-demands": {
        "GET": ("l o f f f f f o", "l n n n n n n o"),
        "POST": ("l m m m m f f m", "l m m m m f f m"),
    },
    "catalogue-demand": {
        "GET": ("l o f f f f f o", "l n n n n n n o"),
        "POST": ("l w f f f f f w", "l n n n n f f w"),
    },
    "unlisted-burden": {
        "GET": "l o f f f f o o",
        "POST": "l m m m m f f m",
    },
    "catalogue-draft-export[xlsx]": {
        "GET": ("l o f f f f f o", "l n n n n n n o"),
        "POST": ("l m m m m f f m", "l m m m m f f m"),
    },
    "catalogue-draft-discard": {
        "GET": ("l o f f f f f o", "l n n n n n n o"),
        "POST": ("l w f f f f f w", "l n n n n f f w"),
    },
    "catalogue-draft-revert": {  # the world's draft item is as published: reverting it changes nothing
        "GET": ("l o f f f f f o", "l n n n n n n o"),
        "POST": ("l r f f f f f r", "l n n n n f f r"),
    },
    "catalogue-import": {
        "GET": ("l o f f f f f o", "l n n n n n n o"),
        "POST": ("l w f f f f f w", "l n n n n f f w"),
    },
    "catalogue-import-errors": {
        "GET": ("l o f f f f f o", "l n n n n n n o"),
        "POST": ("l m m m m f f m", "l m m m m f f m"),
    },
    "check": {
        "GET": "o o o o o o o o",
        "POST": "m m m m m f f m",
    },
    "check-slip": {
        "GET": "m m m m m m m m",
        "POST": "w w w w w f f w",
    },
    # A slip is public: whoever holds the paper verifies it (the signed serial names one slip, of any district).
    "check-slip-verify": {
        "GET": ("o o o o o o o o", "o o o o o o o o"),
        "POST": ("m m m m m f f m", "m m m m m f f m"),
    },
    "check-slip-pdf": {
        "GET": ("o o o o o o o o", "o o o o o o o o"),
        "POST": ("m m m m m f f m", "m m m m m f f m"),
    },
    "check-photo": {  # 拍照查一查: public like the check; the picture is read and not kept
        "GET": "m m m m m m m m",
        "POST": "o o o o o f f o",
    },
    "check-notice": {
        "GET": "m m m m m m m m",
        "POST": "o o o o o f f o",
    },
    "check-notice-slip": {  # one numbered slip for the notice, kept (written) like a slip of one demand
        "GET": "m m m m m m m m",
        "POST": "w w w w w f f w",
    },
    "applications": {
        "GET": "l o o o o o o o",
        "POST": "l m m m m f f m",
    },
    "application-new": {
        "GET": "l f o o f f f f",
        "POST": "l f o o f f f f",
    },
    # One field of the form checked as it changes; the matrix names no field: 400 for those who may file.
    "application-validate": {
        "GET": "l m m m m m m m",
        "POST": "l f b b f f f f",
    },
    "application": {
        "GET": ("l o o o o o o o", "l n n n n n n o"),
        "POST": ("l m m m m f f m", "l m m m m f f m"),
    },
    "application-edit": {
        "GET": ("l f f r f f f f", "l f n n f f f f"),
        "POST": ("l f f r f f f f", "l f n n f f f f"),
    },
    "attachment": {
        "GET": ("l o o o o o o o", "l n n n n n n o"),
        "POST": ("l m m m m f f m", "l m m m m f f m"),
    },
    "application-action[submit]": {
        "GET": ("l m m m m m m m", "l m m m m m m m"),
        "POST": ("l f f r f f f f", "l n n n n f f f"),
    },
    "application-action[withdraw]": {
        "GET": ("l m m m m m m m", "l m m m m m m m"),
        "POST": ("l f f w f f f f", "l n n n n f f f"),
    },
    "application-action[review]": {
        "GET": ("l m m m m m m m", "l m m m m m m m"),
        "POST": ("l r f f f f f r", "l n n n n f f r"),
    },
    "application-action[approve]": {
        "GET": ("l m m m m m m m", "l m m m m m m m"),
        "POST": ("l r f f f f f r", "l n n n n f f r"),
    },
    "application-action[reject]": {
        "GET": ("l m m m m m m m", "l m m m m m m m"),
        "POST": ("l r f f f f f r", "l n n n n f f r"),
    },
    "application-action[urgent-approve]": {
        "GET": ("l m m m m m m m", "l m m m m m m m"),
        "POST": ("l r f f f f f r", "l n n n n f f r"),
    },
    "application-action[urgent-reject]": {
        "GET": ("l m m m m m m m", "l m m m m m m m"),
        "POST": ("l r f f f f f r", "l n n n n f f r"),
    },
    "application-action[attach]": {
        "GET": ("l m m m m m m m", "l m m m m m m m"),
        "POST": ("l f f r f f f f", "l n n n n f f f"),
    },
    "review-queue": {
        "GET": "l o f f f f f o",
        "POST": "l m m m m f f m",
    },
    "batches": {
        "GET": "l o f f f o o o",
        "POST": "l m m m m f f m",
    },
    "batch": {
        "GET": ("l o o o o o o o", "l n n n n n n o"),
        "POST": ("l w f f f f f w", "l n n n n f f w"),
    },
    "ballots": {
        "GET": "l o o o o o o o",
        "POST": "l m m m m f f m",
    },
    "ballot-vote": {
        "GET": ("l m m m m m m m", "l m m m m m m m"),
        "POST": ("l n n n w f f n", "l n n n n f f n"),
    },
    "contracts": {
        "GET": "l o o o o o o o",
        "POST": "l m m m m f f m",
    },
    "contract-new": {
        "GET": "l f o o f f f f",
        "POST": "l f o o f f f f",
    },
    "contract": {
        "GET": ("l o n o o o o o", "l n n n n n n o"),
        "POST": ("l m m m m f f m", "l m m m m f f m"),
    },
    "contract-document": {
        "GET": ("l o n o o o o o", "l n n n n n n o"),
        "POST": ("l m m m m f f m", "l m m m m f f m"),
    },
    "contract-ocds": {
        "GET": ("l o n o o o o o", "l n n n n n n o"),
        "POST": ("l m m m m f f m", "l m m m m f f m"),
    },
    "contract-action[sign]": {
        "GET": ("l m m m m m m m", "l m m m m m m m"),
        "POST": ("l f n r f f f r", "l n n n n f f r"),
    },
    "contract-action[pay]": {
        "GET": ("l m m m m m m m", "l m m m m m m m"),
        "POST": ("l f n w f f f w", "l n n n n f f w"),
    },
    "contract-action[reverse]": {
        "GET": ("l m m m m m m m", "l m m m m m m m"),
        "POST": ("l f n w f f f w", "l n n n n f f w"),
    },
    "contract-action[amend]": {
        "GET": ("l m m m m m m m", "l m m m m m m m"),
        "POST": ("l f n w f f f w", "l n n n n f f w"),
    },
    "contract-action[terminate]": {
        "GET": ("l m m m m m m m", "l m m m m m m m"),
        "POST": ("l f n w f f f w", "l n n n n f f w"),
    },
    "contract-payments": {
        "GET": ("l f n o f f f o", "l n n n n n n o"),
        "POST": ("l f n w f f f w", "l n n n n f f w"),
    },
    "payment-import": {
        "GET": "l f o o f f f f",
        "POST": "l f w w f f f f",  # a street office's refused sheet is kept, with its errors, for its staff
    },
    "payment-import-template": {
        "GET": "l o o o o o o o",
        "POST": "l m m m m f f m",
    },
    "payment-import-detail": {
        "GET": ("l n n o n n n o", "l n n n n n n o"),
        "POST": ("l n n w n f f w", "l n n n n f f w"),
    },
    "payment-import-errors": {
        "GET": ("l n n o n n n o", "l n n n n n n o"),
        "POST": ("l m m m m f f m", "l m m m m f f m"),
    },
    "owed": {
        "GET": "l f f f o f f f",
        "POST": "l m m m m f f m",
    },
    "unfunded": {
        "GET": "l o o o f o o o",
        "POST": "l m m m m f f m",
    },
    "funding-report": {
        "GET": "l o o o f o o o",
        "POST": "l m m m m f f m",
    },
    "funding-export[csv]": {
        "GET": "l o o o f o o o",
        "POST": "l m m m m f f m",
    },
    "funding-export[summary.csv]": {
        "GET": "l o o o f o o o",
        "POST": "l m m m m f f m",
    },
    "unfunded-export[xlsx]": {
        "GET": "l o o o f o o o",
        "POST": "l m m m m f f m",
    },
    "reports": {
        "GET": "l o o o o o o o",
        "POST": "l m m m m f f m",
    },
    "report-new": {
        "GET": "l f f f o f f f",
        "POST": "l f f f o f f f",
    },
    "report": {
        "GET": ("l o n o o o o o", "l n n n n n n o"),
        "POST": ("l m m m m f f m", "l m m m m f f m"),
    },
    "evidence": {
        "GET": ("l o n o o o o o", "l n n n n n n o"),
        "POST": ("l m m m m f f m", "l m m m m f f m"),
    },
    "report-action[triage]": {  # the world's report was asked to explain already: a wrong state is a conflict
        "GET": ("l m m m m m m m", "l m m m m m m m"),
        "POST": ("l c n f f f f c", "l n n n n f f c"),
    },
    "report-action[explain]": {
        "GET": ("l m m m m m m m", "l m m m m m m m"),
        "POST": ("l f n w f f f f", "l n n n n f f f"),
    },
    "assessments": {
        "GET": "l o o o o o o o",
        "POST": "l m m m m f f m",
    },
    "assessment-new": {
        "GET": "l f o o f f f f",
        "POST": "l f o o f f f f",
    },
    "assessment-answer": {
        "GET": ("l m m m m m m m", "l m m m m m m m"),
        "POST": ("l f n f w f f f", "l n n n n f f f"),
    },
    "findings": {
        "GET": "l o o o o o o o",
        "POST": "l m m m m f f m",
    },
    "finding-new": {
        "GET": "l m m m m m m m",
        "POST": "l r f f f f f f",
    },
    "finding": {  # the world's finding is confirmed: dismissing it now is a conflict
        "GET": ("l o n o n o o o", "l n n n n n n o"),
        "POST": ("l c n f n f f c", "l n n n n f f c"),
    },
    "inspection-new": {
        "GET": "l m m m m m m m",
        "POST": "l r f f f f f f",
    },
    "compliance": {
        "GET": ("l o n o n o o o", "l n n n n n n o"),
        "POST": ("l m m m m f f m", "l m m m m f f m"),
    },
    "notices": {
        "GET": "o o o o o o o o",
        "POST": "m m m m m f f m",
    },
    "notice": {
        "GET": ("o o o o o o o o", "o o o o o o o o"),
        "POST": ("f f f w f f f f", "f f f f f f f f"),
    },
    # The printed documents follow their pages' scope: the 审批表 and the batch's decision whoever reads the
    # application or the batch, a published notice everyone.
    "application-form": {
        "GET": ("l o o o o o o o", "l n n n n n n o"),
        "POST": ("l m m m m f f m", "l m m m m f f m"),
    },
    "application-form-pdf": {
        "GET": ("l o o o o o o o", "l n n n n n n o"),
        "POST": ("l m m m m f f m", "l m m m m f f m"),
    },
    "batch-decision": {
        "GET": ("l o o o o o o o", "l n n n n n n o"),
        "POST": ("l m m m m f f m", "l m m m m f f m"),
    },
    "batch-decision-pdf": {
        "GET": ("l o o o o o o o", "l n n n n n n o"),
        "POST": ("l m m m m f f m", "l m m m m f f m"),
    },
    "notice-document": {
        "GET": ("o o o o o o o o", "o o o o o o o o"),
        "POST": ("m m m m m f f m", "m m m m m f f m"),
    },
    "notice-document-pdf": {
        "GET": ("o o o o o o o o", "o o o o o o o o"),
        "POST": ("m m m m m f f m", "m m m m m f f m"),
    },
    "audit-trail": {
        "GET": "l f f f f o o o",
        "POST": "l m m m m f f m",
    },
    "audit-trail-export": {
        "GET": "l f f f f o o o",
        "POST": "l m m m m f f m",
    },
    "audit-trail-export-xlsx": {
        "GET": "l f f f f o o o",
        "POST": "l m m m m f f m",
    },
    "login": {
        "GET": "o r r r r r r r",
        "POST": "o r r r r r r r",
    },
    "login-verify": {  # the second step, reached only with a password just checked: otherwise back to the login
        "GET": "l l l l l l l l",
        "POST": "l l l l l l l l",
    },
    "two-factor": {
        "GET": "l o o o o o o o",
        "POST": "l o o o o o o o",
    },
    "api-tokens": {  # a POST without the confirmation only asks first
        "GET": "l o o o o o o o",
        "POST": "l o o o o f f o",
    },
    "logout": {
        "GET": "m m m m m m m m",
        "POST": "r r r r r r r r",
    },
    "api:api-root": {
        "GET": "l o o o o o o o",
        "POST": "l m m m m f f m",
    },
    "healthz": {
        "GET": "o o o o o o o o",
        "POST": "o o o o o f f o",
    },
}

# API operation, as the OpenAPI schema names it → answers
API = {
    "GET /api/v1/applications/": "l o o o o o o o",
    "POST /api/v1/applications/": "l f w w f f f f",
    "GET /api/v1/applications/{id}/": ("l o o o o o o o", "l n n n n n n o"),
    "PATCH /api/v1/applications/{id}/": ("l f f b f f f f", "l n n n n f f f"),
    "PUT /api/v1/applications/{id}/": ("l f f b f f f f", "l n n n n f f f"),
    "POST /api/v1/applications/{id}/decide/": ("l c f f f f f c", "l n n n n f f c"),
    "POST /api/v1/applications/{id}/review/": ("l c f f f f f c", "l n n n n f f c"),
    "POST /api/v1/applications/{id}/submit/": ("l f f c f f f f", "l n n n n f f f"),
    "POST /api/v1/applications/{id}/withdraw/": ("l f f w f f f f", "l n n n n f f f"),
    "POST /api/v1/auth/token/": "b b b b b b b b",
    "GET /api/v1/ballots/": "l o o o o o o o",
    "GET /api/v1/ballots/{id}/": ("l n n n o n n n", "l n n n n n n n"),
    "POST /api/v1/ballots/{id}/vote/": ("l n n n w f f n", "l n n n n f f n"),
    "GET /api/v1/batches/": "l o o o o o o o",
    "GET /api/v1/batches/{id}/": ("l o o o o o o o", "l n n n n n n o"),
    "POST /api/v1/batches/{id}/open/": ("l c f f f f f c", "l n n n n f f c"),  # already open: 409
    "POST /api/v1/batches/{id}/tally/": ("l w f f f f f w", "l n n n n f f w"),
    "GET /api/v1/check/": "o o o o o o o o",
    "POST /api/v1/check/notice/": "o o o o o f f o",  # public like the check (read-only roles post nothing)
    "POST /api/v1/check/photo/": "o o o o o f f o",
    "GET /api/v1/cities/": "o o o o o o o o",
    "GET /api/v1/cities/{id}/": ("o o o o o o o o", "o o o o o o o o"),
    "GET /api/v1/communities/": "o o o o o o o o",
    "GET /api/v1/communities/{id}/": ("o o o o o o o o", "o o o o o o o o"),
    "GET /api/v1/contracts/": "l o o o o o o o",
    "POST /api/v1/contracts/": "l b w w b f f f",
    "GET /api/v1/contracts/{id}/": ("l o n o o o o o", "l n n n n n n o"),
    "POST /api/v1/contracts/{id}/amend/": ("l f n w f f f w", "l n n n n f f w"),
    "GET /api/v1/contracts/{id}/ocds/": ("l o n o o o o o", "l n n n n n n o"),
    "POST /api/v1/contracts/{id}/sign/": ("l f n c f f f c", "l n n n n f f c"),  # signed already: 409
    "POST /api/v1/contracts/{id}/terminate/": ("l f n w f f f w", "l n n n n f f w"),
    "GET /api/v1/departments/": "o o o o o o o o",
    "GET /api/v1/departments/{id}/": ("o o o o o o o o", "o o o o o o o o"),
    "GET /api/v1/districts/": "o o o o o o o o",
    "GET /api/v1/districts/{id}/": ("o o o o o o o o", "o o o o o o o o"),
    "GET /api/v1/funding-report/": "l o o o o o o o",
    "GET /api/v1/items/": "o o o o o o o o",
    "POST /api/v1/items/": "l w f f f f f w",
    "DELETE /api/v1/items/{id}/": ("l w n n n f f w", "l n n n n f f w"),
    "GET /api/v1/items/{id}/": ("o o o o o o o o", "o o o o o o o o"),
    "PATCH /api/v1/items/{id}/": ("l w n n n f f w", "l n n n n f f w"),
    "PUT /api/v1/items/{id}/": ("l w n n n f f w", "l n n n n f f w"),
    "GET /api/v1/me/": "l o o o o o o o",
    "GET /api/v1/payments/": "l o o o o o o o",
    "POST /api/v1/payments/": "l f n w f f f w",
    "GET /api/v1/payments/{id}/": ("l o n o o o o o", "l n n n n n n o"),
    "POST /api/v1/payments/{id}/reverse/": ("l f n w f f f w", "l n n n n f f w"),
    "POST /api/v1/contracts/{id}/payments/": ("l f n w f f f w", "l n n n n f f w"),
    "GET /api/v1/payment-imports/": "l o o o o o o o",
    "POST /api/v1/payment-imports/": "l f b w f f f f",  # a street office's sheet of another unit's contract: 400
    "GET /api/v1/payment-imports/{id}/": ("l n n o n n n o", "l n n n n n n o"),
    "POST /api/v1/payment-imports/{id}/apply/": ("l n n w n f f w", "l n n n n f f w"),
    "POST /api/v1/payment-imports/{id}/cancel/": ("l n n w n f f w", "l n n n n f f w"),
    "GET /api/v1/policies/": "l o o o o o o o",
    "GET /api/v1/policies/{district}/": ("l o o o o o o o", "l n n n n n n o"),
    "PATCH /api/v1/policies/{district}/": ("l w f f f f f w", "l n n n n f f w"),
    "PUT /api/v1/policies/{district}/": ("l w f f f f f w", "l n n n n f f w"),
    "GET /api/v1/streets/": "o o o o o o o o",
    "GET /api/v1/streets/{id}/": ("o o o o o o o o", "o o o o o o o o"),
    "GET /api/v1/unfunded/": "l o o o o o o o",
    "GET /api/v1/trail/": "l f f f f o o o",
    "GET /api/v1/users/": "l o o o o o o o",
    "GET /api/v1/users/{id}/": ("l o n o n o o o", "l n n n n n n o"),
    "GET /api/v1/versions/": "o o o o o o o o",
    "GET /api/v1/versions/{id}/": ("o o o o o o o o", "o o o o o o o o"),
    "GET /api/v1/versions/{id}/diff/": ("n o n n n o o o", "n n n n n n n o"),
    "POST /api/v1/versions/{id}/publish/": ("l w n n n f f w", "l n n n n f f w"),
    "POST /api/v1/versions/{id}/import/": ("l w n n n f f w", "l n n n n f f w"),
    "GET /api/v1/imports/{id}/": ("l o n n n o o o", "l n n n n n n o"),
    "POST /api/v1/imports/{id}/apply/": ("l w n n n f f w", "l n n n n f f w"),
    "POST /api/v1/imports/{id}/cancel/": ("l w n n n f f w", "l n n n n f f w"),
    # Supervision: the same scope as the pages (report, assessment-answer, finding, notice above)
    "GET /api/v1/burden-reports/": "l o o o o o o o",
    "POST /api/v1/burden-reports/": "l f f f w f f f",
    "GET /api/v1/burden-reports/{id}/": ("l o n o o o o o", "l n n n n n n o"),
    # the world's report was asked to explain already: a wrong state is a conflict
    "POST /api/v1/burden-reports/{id}/triage/": ("l c n f f f f c", "l n n n n f f c"),
    "POST /api/v1/burden-reports/{id}/explain/": ("l f n w f f f f", "l n n n n f f f"),
    "GET /api/v1/assessments/": "l o o o o o o o",
    "POST /api/v1/assessments/": "l f w w f f f f",
    "GET /api/v1/assessments/{id}/": ("l o n o o o o o", "l n n n n n n o"),
    "POST /api/v1/assessments/{id}/confirm/": ("l f n f w f f f", "l n n n n f f f"),
    "POST /api/v1/assessments/{id}/dispute/": ("l f n f w f f f", "l n n n n f f f"),
    "GET /api/v1/inspections/": "l o o o o o o o",
    "POST /api/v1/inspections/": "l w f f f f f f",
    # the inspected unit does not see an inspection planned (it may be unannounced)
    "GET /api/v1/inspections/{id}/": ("l o n n n o o o", "l n n n n n n o"),
    "GET /api/v1/findings/": "l o o o o o o o",
    "POST /api/v1/findings/": "l w f f f f f f",
    "GET /api/v1/findings/{id}/": ("l o n o n o o o", "l n n n n n n o"),
    # the world's finding is confirmed: deciding it again is a conflict
    "POST /api/v1/findings/{id}/confirm/": ("l c n f n f f c", "l n n n n f f c"),
    "POST /api/v1/findings/{id}/dismiss/": ("l c n f n f f c", "l n n n n f f c"),
    "POST /api/v1/findings/{id}/notice/": ("l w n f n f f w", "l n n n n f f w"),
    "GET /api/v1/notices/": "o o o o o o o o",
    "GET /api/v1/notices/{id}/": ("o o o o o o o o", "o o o o o o o o"),
    "POST /api/v1/notices/{id}/answer/": ("l f f w f f f f", "l f f f f f f f"),
    # the world's notice awaits the unit's answer: verifying it now is a conflict
    "POST /api/v1/notices/{id}/close/": ("l c f f f f f c", "l f f f f f f c"),
    "POST /api/v1/notices/{id}/reopen/": ("l c f f f f f c", "l f f f f f f c"),
}


def _cells():
    for key, methods in PAGES.items():
        for method, rows in methods.items():
            yield from _row_cells(key, method, rows)
    for key, rows in API.items():
        yield from _row_cells(key, key.split(" ", 1)[0], rows)


def _row_cells(key, method, rows):
    scoped = isinstance(rows, tuple)
    for scope, row in zip(("in", "out") if scoped else (None,), rows if scoped else (rows,), strict=True):
        for role, expected in parse(row).items():
            yield pytest.param(key, method, role, scope, expected, id=f"{key}|{method}|{role}|{scope or '-'}")


CELLS = list(_cells())


@pytest.mark.parametrize(("key", "method", "role", "scope", "expected"), CELLS)
def test_cell(key, method, role, scope, expected, as_role, security_world):
    answer, changed = ask(as_role(role), security_world, key=key, method=method, role=role, scope=scope)
    assert answer == expected, f"{method} {key} as {role} ({scope or 'no object'}): {answer}, expected {expected}"
    if expected != "w":
        assert not changed, f"{method} {key} as {role} was refused but changed: {changed}"


def _page_names():
    return {key.split("[")[0] for key in PAGES}


def test_every_page_route_is_in_the_matrix():
    routes = {name for name, _route in url_patterns() if not name.startswith("api:") or name == "api:api-root"}
    assert None not in routes, "every route needs a name to be in the matrix"
    missing, gone = routes - _page_names(), _page_names() - routes
    assert not missing, f"routes missing from the permission matrix (tests/security/test_matrix.py): {missing}"
    assert not gone, f"matrix entries for routes that no longer exist: {gone}"
    assert set(PAGE_ARGS) <= routes, set(PAGE_ARGS) - routes


def test_every_api_operation_is_in_the_matrix(db):
    operations = api_operations()
    missing, gone = operations - set(API), set(API) - operations
    assert not missing, f"API operations missing from the permission matrix: {sorted(missing)}"
    assert not gone, f"matrix entries for API operations that no longer exist: {sorted(gone)}"


def test_every_api_route_is_an_operation_of_the_schema(db):
    """A view left out of the schema would escape the matrix: every API route must serve an operation."""
    served = {
        resolve(path.replace("{id}", "1").replace("{district}", "1")).view_name
        for path in {operation.split(" ", 1)[1] for operation in api_operations()}
    }
    routes = {name for name, _route in url_patterns() if name.startswith("api:")} - {"api:api-root"}
    assert routes - served == set(), f"API routes not in the schema: {routes - served}"


def test_routes_with_an_object_answer_in_and_out_of_scope():
    for key, rows in API.items():
        assert isinstance(rows, tuple) == (api_object_kind(*key.split(" ", 1)) is not None), key
    for key, methods in PAGES.items():
        for rows in methods.values():
            assert isinstance(rows, tuple) == (key.split("[")[0] in PAGE_ARGS), key
