"""The API of payments as they arrive: a contract's payments in one request, and a sheet of vouchers imported
(proposal, then apply). The same services as the pages (funding.payment_batches, funding.payment_imports)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.errors import Conflict, call_service
from catalog.api.parsers import BoundedJSONParser
from catalog.io import ImportRejected

from .. import payment_imports, selectors, services
from ..payment_batches import BatchRejected, PaymentLine, payments_record_batch, where_of
from ..states import PAYABLE


class BatchLineSerializer(serializers.Serializer):
    instalment = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    paid_on = serializers.DateField()
    voucher = serializers.CharField(max_length=50)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class BatchSerializer(serializers.Serializer):
    payments = BatchLineSerializer(many=True, min_length=1, max_length=500)
    dry_run = serializers.BooleanField(
        default=False, help_text="Check every payment and say what would be recorded, recording nothing."
    )


class BatchLineResultSerializer(serializers.Serializer):
    instalment = serializers.IntegerField(source="instalment_id")
    where = serializers.CharField()
    voucher = serializers.CharField()
    paid_on = serializers.DateField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    outcome = serializers.ChoiceField(
        choices=["recorded", "repeat", "already"],
        help_text="recorded; repeat: the same voucher as an earlier line, recorded once; already: recorded before",
    )
    payment = serializers.IntegerField(source="payment.pk", allow_null=True, default=None)


class BatchResultSerializer(serializers.Serializer):
    recorded = serializers.IntegerField(help_text="payments recorded (or, on a dry run, that would be)")
    total = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="their total in yuan")
    summary = serializers.CharField()
    dry_run = serializers.BooleanField()
    lines = BatchLineResultSerializer(many=True)


def _batch_errors(exc: BatchRejected, index: dict) -> dict:
    return {
        "errors": [
            {
                "index": index[id(e.line)],
                "instalment": e.line.instalment_id,
                "where": where_of(e.line.instalment) if e.line.instalment else e.line.where,
                "field": e.field,
                "message": e.message,
            }
            for e in exc.errors
        ]
    }


class ContractPaymentsView(APIView):
    """Record payments for a contract's instalments in one request, all or nothing: any refused line (named by
    its index, instalment and field) records none. A voucher pays once however it is typed."""

    parser_classes = [BoundedJSONParser]

    @extend_schema(
        request=BatchSerializer,
        responses={
            201: BatchResultSerializer,
            200: OpenApiResponse(BatchResultSerializer, description="A dry run, or nothing new to record."),
            409: OpenApiResponse(description="The contract takes no payments (not signed, ended or terminated)."),
        },
    )
    def post(self, request, pk: int):
        contract = get_object_or_404(selectors.contracts_visible_to(request.user).select_related("payer"), pk=pk)
        if not services.can_pay_for(request.user, contract):
            raise exceptions.PermissionDenied("Only the paying unit records its payments.")
        params = BatchSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        if contract.state not in PAYABLE:
            raise Conflict("Payments are recorded on signed contracts that have not ended.")
        lines = [
            PaymentLine(
                instalment_id=row["instalment"],
                amount=row["amount"],
                paid_on=row["paid_on"],
                voucher=row["voucher"],
                note=row["note"],
                where=f"#{n}",
            )
            for n, row in enumerate(params.validated_data["payments"])
        ]
        index = {id(line): n for n, line in enumerate(lines)}
        dry_run = params.validated_data["dry_run"]
        try:
            outcome = call_service(
                payments_record_batch,
                actor=request.user,
                payer=contract.payer,
                lines=lines,
                dry_run=dry_run,
                contract=contract,
            )
        except BatchRejected as exc:
            return Response(_batch_errors(exc, index), status=status.HTTP_400_BAD_REQUEST)
        for line in lines:  # the lines name their instalments now: say so in the answer
            if line.instalment is not None:
                line.where = where_of(line.instalment)
        body = BatchResultSerializer(
            {
                "recorded": len(outcome.recorded),
                "total": outcome.total,
                "summary": outcome.summary(),
                "dry_run": dry_run,
                "lines": outcome.lines,
            }
        ).data
        created = outcome.recorded and not dry_run
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class PaymentImportLineSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    contract = serializers.CharField()
    community = serializers.CharField()
    sequence = serializers.IntegerField()
    voucher = serializers.CharField()
    paid_on = serializers.DateField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    note = serializers.CharField(allow_blank=True)
    outcome = serializers.ChoiceField(choices=["recorded", "repeat", "already"])


class PaymentImportSerializer(serializers.Serializer):
    """A sheet of vouchers: the payments it would record (proposed) or recorded (applied)."""

    id = serializers.IntegerField()
    payer = serializers.IntegerField(source="payer_id")
    state = serializers.CharField()
    filename = serializers.CharField()
    count = serializers.IntegerField(help_text="payments recorded (or, while proposed, that would be)")
    total = serializers.DecimalField(max_digits=16, decimal_places=2)
    lines = PaymentImportLineSerializer(many=True)
    errors = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)

    def get_errors(self, record) -> list[dict]:
        return [{"row": r, "column": c, "message": m} for r, c, m in record.errors]


class PaymentImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="An .xlsx or .csv sheet of vouchers: 合同编号, 社区, 期次, 凭证号, 付款日期, 金额 (备注)."
    )


def _import_errors(exc: ImportRejected) -> dict:
    record = getattr(exc, "record", None)
    return {
        "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in exc.errors],
        "import": record.pk if record else None,
    }


class NewestFirst(CursorPagination):
    ordering = ("-id",)
    page_size = 50


class PaymentImportViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Imports of a paying unit's sheet of vouchers: POST the file for a proposal (nothing is recorded), then
    apply it (all or nothing, once: applying again answers 409) or cancel it. A refused sheet answers 400 with
    each problem's row and column, and `import`, the refused import whose marked file the page offers."""

    serializer_class = PaymentImportSerializer
    parser_classes = [BoundedJSONParser, MultiPartParser, FormParser]
    pagination_class = NewestFirst
    filterset_fields = ["state"]
    ordering_fields = []

    def get_queryset(self):
        return payment_imports.imports_visible_to(self.request.user)

    @extend_schema(
        request={"multipart/form-data": PaymentImportUploadSerializer}, responses={201: PaymentImportSerializer}
    )
    def create(self, request, *args, **kwargs):
        params = PaymentImportUploadSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        upload = params.validated_data["file"]
        try:
            record = call_service(
                payment_imports.import_propose,
                actor=request.user,
                upload=upload,
                filename=upload.name,
                keep_refused=False,
            )
        except ImportRejected as exc:
            return Response(_import_errors(exc), status=status.HTTP_400_BAD_REQUEST)
        return Response(PaymentImportSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={200: PaymentImportSerializer, 409: OpenApiResponse(description="The import is decided already.")},
    )
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        """Record the proposal's payments in one transaction, checked again; all or nothing, once."""
        try:
            record = call_service(payment_imports.import_apply, record=self.get_object(), actor=request.user)
        except ImportRejected as exc:
            return Response(_import_errors(exc), status=status.HTTP_400_BAD_REQUEST)
        return Response(PaymentImportSerializer(record).data)

    @extend_schema(
        request=None,
        responses={200: PaymentImportSerializer, 409: OpenApiResponse(description="The import is decided already.")},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        record = call_service(payment_imports.import_cancel, record=self.get_object(), actor=request.user)
        return Response(PaymentImportSerializer(record).data)
