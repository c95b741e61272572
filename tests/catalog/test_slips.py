"""Reply slips: issued once with a serial, kept as issued, verified by the signed serial in their QR code."""

import re
import subprocess
from urllib.parse import unquote

import pytest
from django.core import signing
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from catalog import slips
from catalog.check import check_demand
from catalog.models import ReplySlip
from catalog.models.slips import IssuedSlipError

pytestmark = pytest.mark.django_db

SERIAL = re.compile(r"^锦江区-20\d\d-\d{6}$")


@pytest.fixture
def community(world):
    return world.unit("牛沙路社区")


def issue(client, community, q, **extra):
    response = client.post("/check/slip/", {"community": community.pk, "q": q, **extra})
    assert response.status_code == 303, response.content
    return response["Location"]


def pdf_text(client, url, tmp_path) -> str:
    pdf = tmp_path / "slip.pdf"
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    pdf.write_bytes(response.content)
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_issuing_keeps_the_slip_numbered_in_its_districts_year(client, community):
    issue(client, community, "调解邻里纠纷", demanding_unit="双桂路街道办事处")
    issue(client, community, "协税")
    first, second = ReplySlip.objects.order_by("sequence")
    assert SERIAL.match(first.serial) and SERIAL.match(second.serial)
    assert (first.sequence, second.sequence) == (1, 2)
    assert first.serial.endswith("-000001") and second.serial.endswith("-000002")
    assert (first.verdict, first.demanding_unit, first.basis_number) == ("must_do", "双桂路街道办事处", "主席令第21号")
    assert second.verdict == "refuse" and second.items[0]["title"] == "协税护税"


def test_the_slip_pdf_carries_its_serial_the_demanding_unit_the_basis_number_and_its_full_address(
    client, community, tmp_path
):
    url = issue(client, community, "调解邻里纠纷", demanding_unit="双桂路街道办事处")
    slip = ReplySlip.objects.get()
    text = pdf_text(client, url, tmp_path)
    flat = re.sub(r"\s+", "", text)
    assert slip.serial in text and "双桂路街道办事处" in text and "主席令第21号" in text
    verify = "http://testserver" + unquote(url).removesuffix("slip.pdf")
    assert verify in flat  # the full address, not "/check/"
    assert "应当" in text or "必须" in text or "履职" in text


def test_the_verification_page_shows_the_slip_as_issued_without_judging_again(client, community, monkeypatch):
    url = issue(client, community, "协税，联系电话 138 0013 8000", demanding_unit="区税务局")
    verify = url.removesuffix("slip.pdf")

    def no_new_judgement(**kwargs):
        raise AssertionError("the verification page must not judge the demand again")

    monkeypatch.setattr("catalog.views.check.check_demand", no_new_judgement)
    response = client.get(verify)
    assert response.status_code == 200
    page = response.content.decode()
    slip = ReplySlip.objects.get()
    assert slip.serial in page and 'data-verdict="refuse"' in page and "区税务局" in page
    # Nothing personal beyond what the slip shows: the number was masked before it was kept.
    assert "138" not in page and "***" in page and slip.demand == "协税,联系电话 ***"


def test_a_tampered_serial_is_refused_in_chinese(client, community):
    url = issue(client, community, "协税")
    token = unquote(url.split("/")[3])
    forged = token.replace("-000001:", "-000002:")
    assert forged != token
    response = client.get(f"/check/slips/{forged}/")
    assert response.status_code == 400
    assert "此回执单无法核验" in response.content.decode() and "已被改动" in response.content.decode()
    assert client.get(f"/check/slips/{forged}/slip.pdf").status_code == 400


def test_a_tampered_signature_is_refused(client, community):
    url = issue(client, community, "协税")
    serial, signature = unquote(url.split("/")[3]).rsplit(":", 1)
    other = ("A" if signature[0] != "A" else "B") + signature[1:]
    response = client.get(f"/check/slips/{serial}:{other}/")
    assert response.status_code == 400 and "无法核验" in response.content.decode()
    assert client.get(f"/check/slips/{serial}/").status_code == 400  # no signature at all


def test_a_well_signed_serial_that_was_never_issued_is_not_found(client, community):
    issue(client, community, "协税")
    made_up = signing.Signer(salt=slips.SALT).sign("锦江区-2026-999999")
    response = client.get(f"/check/slips/{made_up}/")
    assert response.status_code == 404
    assert "没有开具过编号为 锦江区-2026-999999 的回执单" in response.content.decode()


def test_another_districts_slip_is_shown_only_as_that_districts(client, world):
    jinniu = world.unit("金沙公园北社区")
    url = issue(client, jinniu, "协税")
    slip = ReplySlip.objects.get()
    assert slip.serial.startswith("金牛区-") and slip.district.name == "金牛区"
    page = client.get(url.removesuffix("slip.pdf")).content.decode()
    district = re.search(r'data-testid="district">([^<]*)<', page).group(1)
    assert "金牛区" in district and "锦江区" not in page
    # Its serial under another district's name is not a slip of that district.
    forged = unquote(url.split("/")[3]).replace("金牛区-", "锦江区-")
    assert client.get(f"/check/slips/{forged}/").status_code == 400


def test_an_issued_slip_never_changes(community):
    slip = slips.slip_issue(result=check_demand(community=community, on=timezone.localdate(), q="协税"))
    slip.verdict = "must_do"
    with pytest.raises(IssuedSlipError):
        slip.save()
    assert ReplySlip.objects.get().verdict != "must_do"


def test_issuing_needs_a_demand_and_a_post(client, community):
    assert client.post("/check/slip/", {"community": community.pk}).status_code == 400
    assert client.get("/check/slip/", {"community": community.pk, "q": "协税"}).status_code == 405
    assert not ReplySlip.objects.exists()


_MUTATION = st.tuples(st.sampled_from(["replace", "insert", "delete"]), st.integers(min_value=0), st.characters())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=_MUTATION)
@example(mutation=("replace", 0, "\ud800"))  # a lone surrogate: no text can hold it (found by this test once)
def test_any_change_to_a_signed_token_is_refused(community, mutation):
    slip = ReplySlip.objects.first() or slips.slip_issue(
        result=check_demand(community=community, on=timezone.localdate(), q="协税")
    )
    token = slip.token
    op, at, char = mutation
    at %= len(token) + (op == "insert")
    if op == "replace":
        changed = token[:at] + char + token[at + 1 :]
    elif op == "insert":
        changed = token[:at] + char + token[at:]
    else:
        changed = token[:at] + token[at + 1 :]
    if changed == token:
        return
    with pytest.raises(slips.SlipRefused):
        slips.slip_from_token(changed)
    assert slips.slip_from_token(token) == slip
