"""A reviewer's attack on the voucher rule: a look-alike letter (catalog.text.comparison_key folds them)."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_voucher_typed_with_a_look_alike_letter_pays_once(make_contract, payer_user, pdf):
    from datetime import date
    from decimal import Decimal

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

    first, created = pay("PZ-001")
    assert created
    # "РZ-001" with a Cyrillic Er, "PΖ-001" with a Greek Zeta: the same paper voucher is answered with the first
    # payment, never recorded again. (A letter O for a digit 0 is another voucher: identifiers may hold both.)
    for look_alike in ("\u0420Z-001", "P\u0396-001", "\u0440z-001"):
        assert pay(look_alike) == (first, False)
    assert instalment.payments.count() == 1
    instalment.refresh_from_db()
    assert instalment.paid == Decimal("100.00")
