"""The demo catalogue is realistic: the committee's own election, Chengdu citing Chengdu, common wordings."""

import os
from datetime import date
from pathlib import Path

import pytest
from django.utils import timezone

from catalog.aliases import clean_aliases
from catalog.check import check_demand
from catalog.demo_catalogue import ALIASES, CATALOGUES, CHENGDU_2017, CHENGDU_LIST, LAW
from catalog.models import CatalogueItem

pytestmark = pytest.mark.django_db
# The evaluation set: where CHECK_EVAL_DIR says, else the copy the repository keeps for CI (bench/check_eval_data).
EVAL_DIR = os.environ.get("CHECK_EVAL_DIR") or Path(__file__).resolve().parents[2] / "bench" / "check_eval_data"
DEV_SET = Path(EVAL_DIR) / "dev.tsv"


@pytest.mark.parametrize("community", ["牛沙路社区", "金沙公园北社区", "商邱路社区"])
def test_the_residents_committees_own_election_is_a_duty_in_every_district(world, community):
    result = check_demand(community=world.unit(community), on=timezone.localdate(), q="居委会换届选举")
    assert result.verdict == "must_do"
    assert result.candidates[0].item.title == "组织居民委员会换届选举"


def test_chengdus_lists_cite_chengdus_own_documents_or_national_ones(world):
    chengdu = CatalogueItem.objects.filter(version__district__city__name="成都市")
    documents = set(chengdu.exclude(list="assessments").values_list("basis_document", flat=True))
    assert not any("辽宁" in d or "青岛" in d or "市北" in d for d in documents)
    assert CHENGDU_LIST["basis_document"] in documents and CHENGDU_2017["basis_document"] in documents
    assert {d for d in documents if not d.startswith("成都") and "成都" not in d} <= {
        LAW["basis_document"],
        "关于改进和规范基层群众性自治组织出具证明工作的指导意见",
    }
    # A list cites no document issued after it came into force.
    in_2015 = chengdu.filter(version__effective_from=date(2015, 1, 1))
    assert not in_2015.filter(basis_document=CHENGDU_2017["basis_document"]).exists()
    shibei = CatalogueItem.objects.filter(version__district__name="市北区", list__in=["assistance", "withdrawn"])
    assert set(shibei.values_list("basis_document", flat=True)) == {"市北区社区工作准入制度实施办法"}


def test_every_demo_item_has_a_few_common_wordings_kept_as_the_draft_keeps_them():
    codes = {row["code"] for versions in CATALOGUES.values() for _d, _t, rows in versions for row in rows}
    assert codes <= set(ALIASES)
    for code, wordings in ALIASES.items():
        assert 1 <= len(wordings) <= 4, code
        assert clean_aliases(wordings) == wordings, code


def test_no_common_wording_is_copied_from_the_evaluation_demands():
    demands = DEV_SET.read_text(encoding="utf-8")
    copied = [w for wordings in ALIASES.values() for w in wordings if w in demands]
    assert copied == []
