import pytest

from tests.catalog.test_notice_pages import NOTICE

pytestmark = pytest.mark.django_db


def test_dump(client, world):
    community = world.unit("牛沙路社区")
    r = client.post("/check/notice/slip.pdf", {"community": community.pk, "text": NOTICE, "date": "2026-11-02", "demanding_unit": "某某街道办事处"})
    url = r["Location"]
    open("/tmp/shots/notice-slip.pdf", "wb").write(client.get(url).content)
    open("/tmp/shots/verify.html", "wb").write(client.get(url.removesuffix("slip.pdf")).content)
