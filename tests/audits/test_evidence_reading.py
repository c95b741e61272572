"""A burden report's pictures are read in the background, so that the district's office can search reports by what
the evidence says (and only the office: the unit concerned never searches the evidence)."""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audits import services, trail
from audits.models import Evidence
from audits.tasks import read_evidence
from bench.notices import render
from catalog.models import Unit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def _picture(paragraphs) -> SimpleUploadedFile:
    out = io.BytesIO()
    render(paragraphs, width=640, size=26, margin=30).save(out, "PNG")
    return SimpleUploadedFile("群消息截图.png", out.getvalue(), content_type="image/png")


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("通知.pdf", b"%PDF-1.4\n1 0 obj\n%%EOF\n", content_type="application/pdf")


def _report(world, files=()):
    return services.report_submit(
        actor=world.user("shuji"),
        demanding_unit=Unit.objects.get(name="区市场监督管理局", district=world.unit("锦江区")),
        demand="要求我们上报辖区商户名单",
        demanded_on=date(2026, 11, 2),
        reveal_reporter=False,
        files=files,
    )


def test_a_reports_picture_is_read_after_the_commit_and_found_by_its_words(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        report = _report(world, [_picture(["紧急通知", "各社区：", "请于周五前报送养犬户名单。", "街道办"]), _pdf()])
    reads = [c for c in callbacks if not isinstance(c, trail.SealOnCommit)]  # the trail seals after any audited commit
    assert len(reads) == 1  # the picture only: a PDF is not read
    for evidence in report.evidence.all():
        read_evidence(evidence.pk)  # what the worker does with each enqueued id (a PDF's is a no-op)
    picture, document = sorted(report.evidence.all(), key=lambda e: e.content_type != "image/png")
    assert "养犬户名单" in picture.text and picture.read_at is not None
    assert document.text == "" and document.read_at is None

    # Reading again is safe and changes nothing.
    read_at = picture.read_at
    assert services.evidence_read(evidence_id=picture.pk).read_at == read_at

    client.force_login(world.user("minzheng"))
    found = client.get("/supervision/reports/", {"q": "养犬户"}).context["page"].object_list
    assert [r.pk for r in found] == [report.pk]
    assert list(client.get("/supervision/reports/", {"q": "不存在的词"}).context["page"].object_list) == []
    # The demand's own words are found too.
    assert [r.pk for r in client.get("/supervision/reports/", {"q": "商户名单"}).context["page"].object_list] == [
        report.pk
    ]


def test_a_picture_that_cannot_be_read_is_marked_read_with_no_text(world):
    report = _report(world)
    broken = Evidence.objects.create(
        report=report,
        file=SimpleUploadedFile("坏图.png", b"\x89PNG\r\n\x1a\n broken", content_type="image/png"),
        name="坏图.png",
        content_type="image/png",
        size=16,
    )
    read = services.evidence_read(evidence_id=broken.pk)
    assert read.text == "" and read.read_at is not None
    assert services.evidence_read(evidence_id=999_999) is None
