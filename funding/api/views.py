from datetime import date

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.errors import call_service
from catalog.api.parsers import BoundedJSONParser
from catalog.ids import parse_id
from catalog.text import comparison_key

from .. import exports, selectors, services
from .serializers import (
    AmendSerializer,
    ContractCreateSerializer,
    ContractDetailSerializer,
    ContractSerializer,
    ObligationSerializer,
    PaymentSerializer,
    ReasonSerializer,
    ReportSerializer,
    ReverseSerializer,
    SignSerializer,
)


def _run(func, **kwargs):
    return call_service(
        func, domain_errors=(services.FundingError,), not_found=(services.InstalmentNotFound,), **kwargs
    )


class NewestFirst(CursorPagination):
    ordering = ("-id",)
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ContractViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Funding contracts in the caller's scope; the paying unit creates, signs, amends and terminates them."""

    pagination_class = NewestFirst
    filterset_fields = ["state", "payer", "district"]
    search_fields = ["number", "item_title"]
    ordering_fields = []
    parser_classes = [BoundedJSONParser, MultiPartParser, FormParser]

    def get_serializer_class(self):
        if self.action == "create":
            return ContractCreateSerializer
        return ContractDetailSerializer if self.action == "retrieve" else ContractSerializer

    def get_queryset(self):
        user = self.request.user
        qs = selectors.contracts_visible_to(user).prefetch_related("communities")
        if self.action == "retrieve":
            instalments = selectors.instalments_visible_to(user).order_by("due_on", "community__name")
            qs = qs.prefetch_related(Prefetch("instalments", queryset=instalments), "amendments__changed_by")
        return qs

    @extend_schema(request=ContractCreateSerializer, responses={201: ContractDetailSerializer})
    def create(self, request, *args, **kwargs):
        params = ContractCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = dict(params.validated_data)
        schedule = [(row["due_on"], row["share"]) for row in data.pop("schedule")]
        if not request.user.unit_id:
            raise exceptions.PermissionDenied("Only a paying unit makes contracts.")
        contract = _run(
            services.contract_create, actor=request.user, payer=request.user.unit, schedule=schedule, **data
        )
        return Response(ContractDetailSerializer(contract).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": SignSerializer},
        responses={200: ContractSerializer, 409: OpenApiResponse(description="The contract is not a draft any more.")},
    )
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        params = SignSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        contract = _run(
            services.contract_sign,
            contract=self.get_object(),
            actor=request.user,
            document=params.validated_data["document"],
        )
        return Response(ContractSerializer(contract).data)

    @extend_schema(
        request=AmendSerializer,
        responses={200: ContractSerializer, 409: OpenApiResponse(description="An ended contract is not amended.")},
    )
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        params = AmendSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        contract = _run(
            services.contract_amend, contract=self.get_object(), actor=request.user, **params.validated_data
        )
        return Response(ContractSerializer(contract).data)

    @extend_schema(
        request=ReasonSerializer,
        responses={200: ContractSerializer, 409: OpenApiResponse(description="The contract has ended already.")},
    )
    @action(detail=True, methods=["post"])
    def terminate(self, request, pk=None):
        params = ReasonSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        contract = _run(
            services.contract_terminate,
            contract=self.get_object(),
            actor=request.user,
            reason=params.validated_data["reason"],
        )
        return Response(ContractSerializer(contract).data)

    @extend_schema(responses=dict)
    @action(detail=True)
    def ocds(self, request, pk=None):
        """The contract as OCDS-style JSON: parties, contract, milestones, transactions."""
        from ..choices import ExportKind
        from ..models import ExportRecord

        contract = self.get_object()
        ExportRecord.objects.create(user=request.user, kind=ExportKind.OCDS, what=f"contract {contract.number}")
        own = request.user.unit if request.user.role == "secretary" else None
        return Response(exports.ocds(contract, community=own))


class PaymentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Payments in the caller's scope. POSTing the same voucher again returns the first payment (200), so a
    retried request never pays twice."""

    serializer_class = PaymentSerializer
    pagination_class = NewestFirst
    filterset_fields = ["instalment"]
    ordering_fields = []

    @extend_schema(parameters=[OpenApiParameter("voucher", str, description="A voucher, however it is typed.")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        payments = selectors.payments_visible_to(self.request.user)
        if voucher := self.request.query_params.get("voucher"):
            payments = payments.filter(voucher_key=comparison_key(voucher))  # one voucher however it is typed
        return payments

    @extend_schema(
        responses={
            201: PaymentSerializer,
            200: OpenApiResponse(PaymentSerializer, description="Voucher already recorded: the first payment."),
            404: OpenApiResponse(description="No such instalment in the caller's scope."),
        }
    )
    def create(self, request, *args, **kwargs):
        params = PaymentSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        # The instalment is read once, in the caller's scope, by the query that locks it.
        payment, created = _run(
            services.payment_record,
            instalment=data["instalment_id"],
            actor=request.user,
            amount=data["amount"],
            paid_on=data["paid_on"],
            voucher=data["voucher"],
            note=data.get("note", ""),
        )
        params.instance = payment  # the answer through the same fields, not a second set built for it
        return Response(params.data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=ReverseSerializer, responses={201: PaymentSerializer})
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        params = ReverseSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        reversal = _run(
            services.payment_reverse, payment=self.get_object(), actor=request.user, **params.validated_data
        )
        return Response(PaymentSerializer(reversal).data, status=status.HTTP_201_CREATED)


def _date(value, default: date) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise exceptions.ValidationError({"date": f"“{value}” is not a date; use YYYY-MM-DD."}) from exc


class UnfundedView(APIView):
    """Assistance items in force with no contract in force for a community (`?date=`, default today)."""

    @extend_schema(parameters=[OpenApiParameter("date", str)], responses=ObligationSerializer(many=True))
    def get(self, request):
        districts = selectors.districts_visible_to(request.user)
        payer = request.user.unit if request.user.role in ("department_staff", "street_staff") else None
        rows = selectors.unfunded_obligations(
            districts=districts, on=_date(request.query_params.get("date"), timezone.localdate()), payer=payer
        )
        return Response(ObligationSerializer(rows, many=True).data)


class ReportView(APIView):
    """The funding report for a filter (selectors.funding_figures, as the page and its exports): what fell due
    between `?start=` and `?end=` (by due date) and what was paid in it (by payment date), and what is outstanding
    and overdue at its end, per payer, community or item (`?group=`), with the month-by-month series."""

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str),
            OpenApiParameter("end", str),
            OpenApiParameter("group", str, enum=["payer", "community", "item"]),
            OpenApiParameter("payer", int),
            OpenApiParameter("community", int),
            OpenApiParameter("item", str, description="Part of the item's title."),
        ],
        responses=ReportSerializer,
    )
    def get(self, request):
        today = timezone.localdate()
        params = request.query_params
        group = params.get("group", "payer")
        if group not in selectors.GROUP_PATHS:
            raise exceptions.ValidationError({"group": "Group by payer, community or item."})
        instalments = selectors.instalments_visible_to(request.user).exclude(contract__state="draft")
        for name, field in (("payer", "contract__payer_id"), ("community", "community_id")):
            if params.get(name):
                if parse_id(params[name]) is None:  # catalog.ids: ASCII digits, short enough for a column
                    raise exceptions.ValidationError({name: "Give a unit id."})
                instalments = instalments.filter(**{field: params[name]})
        if params.get("item"):
            if "\x00" in params["item"]:
                raise exceptions.ValidationError({"item": "The item's title holds a NUL character."})
            instalments = instalments.filter(contract__item_title__icontains=params["item"][:100])
        start = _date(params.get("start"), today.replace(month=1, day=1))
        end = _date(params.get("end"), today.replace(month=12, day=31))
        figures = selectors.funding_figures(instalments=instalments, start=start, end=end, today=today, group=group)
        data = {**vars(figures), "basis": exports.basis_lines(figures)}
        return Response(ReportSerializer(data).data)
