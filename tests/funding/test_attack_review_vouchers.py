"""A reviewer's attack on the voucher rule: a look-alike letter (found, not fixed: strict xfail)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.xfail(strict=True, reason="a voucher typed with a Cyrillic look-alike letter is another voucher")
def test_a_voucher_typed_with_a_look_alike_letter_pays_once(make_contract, payer_user, pdf):
    from datetime import date
    from decimal import Decimal

    from django.core.exceptions import ValidationError

    from funding import services

    today = date(2026, 11, 23)
    contract = services.contract_sign(contract=make_contract(), actor=payer_user, document=pdf(), today=today)
    instalment = contract.instalments.order_by("pk").first()

    def pay(voucher):
        return services.payment_record(
            instalment=instalment,
            actor=payer_user,
            amount=Decimal("100.00"),
            paid_on=date(2026, 3, 1),
            voucher=voucher,
            today=today,
        )

    pay("PZ-001")
    # "РZ-ОО1": Cyrillic Er and two Cyrillic O's; a second payment of the same paper voucher must not be recorded.
    with pytest.raises(ValidationError):
        pay("\u0420Z-\u041e\u041e1")
