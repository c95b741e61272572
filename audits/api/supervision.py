"""The supervision API: burden reports, assessments held, inspections, findings and notices.

Each viewset reads through the same selectors as the pages (`audits.selectors`: the same scope, and for burden
reports the same reading, so the reporter stays anonymous to the demanding unit here exactly as there) and
writes through the same services, whose refusals `call_service` turns into 403, 409 and per-field 400s.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from catalog.api.errors import call_service
from catalog.api.parsers import BoundedJSONParser
from catalog.choices import Role, UnitKind
from catalog.ids import parse_id
from catalog.models import CatalogueItem, Unit

from .. import selectors, services
from .supervision_serializers import (
    AnswerSerializer,
    AssessmentCreateSerializer,
    AssessmentSerializer,
    BurdenReportCreateSerializer,
    BurdenReportSerializer,
    DisputeSerializer,
    ExplanationSerializer,
    FindingCreateSerializer,
    FindingSerializer,
    InspectionSerializer,
    NoticeIssueSerializer,
    NoticeSerializer,
    TriageSerializer,
    VerificationSerializer,
)


class NewestFirst(CursorPagination):
    """Keyset pagination: page 500 costs what page 1 costs."""

    ordering = ("-id",)
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200


def _flag(request, name: str) -> bool:
    return request.query_params.get(name) == "1"


def _id_param(request, name: str) -> int | None:
    """An optional id in the query: absent is None; anything but an id is a 400 naming the parameter."""
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    number = parse_id(value)
    if number is None:
        raise exceptions.ValidationError({name: _("Give the id of a unit (digits only).")})
    return number


def _resolve(queryset, number, field: str, missing: str):
    """An id of the body as an object the caller may name; one that names nothing is a 400 on its field."""
    if number is None:
        return None
    obj = queryset.filter(pk=number).first()
    if obj is None:
        raise exceptions.ValidationError({field: [missing % {"id": number}]})
    return obj


def _conflict(description: str) -> OpenApiResponse:
    return OpenApiResponse(description=description)


# --- Burden reports (负担反映) ----------------------------------------------------------------------------


class BurdenReportViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Burden reports in the caller's scope, as on `/supervision/reports/`: the district's office, auditors and
    overseers read them all; a secretary the community's; the demanding unit only those it was asked to
    explain, without the community or the reporter unless the secretary allowed it. A secretary files one
    (JSON, or multipart with `evidence` files); the office triages; the unit explains."""

    pagination_class = NewestFirst
    filterset_fields = ["state", "demanding_unit"]
    search_fields = []  # ?search= is the page's search (selectors.reports_search), below

    ordering_fields = []
    parser_classes = [BoundedJSONParser, MultiPartParser, FormParser]

    def get_serializer_class(self):
        return BurdenReportCreateSerializer if self.action == "create" else BurdenReportSerializer

    def get_queryset(self):
        qs = selectors.reports_visible_to(self.request.user)
        if self.action == "retrieve":
            qs = qs.prefetch_related("evidence")
        return qs

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # The page's search: the office also searches the evidence's text; the unit, the demand as it reads it.
        queryset = selectors.reports_search(
            queryset, user=self.request.user, q=self.request.query_params.get("search", "")[:100]
        )
        community = _id_param(self.request, "community")
        if community is not None:
            queryset = queryset.filter(community_id=community)
            if selectors.is_unit_staff(self.request.user):
                # Where the reporter stays anonymous, the community is no filter either: it would tell which
                # community reported by which answers are empty.
                queryset = queryset.filter(reveal_reporter=True)
        return queryset

    def _reading_data(self, report, *, detail: bool):
        reading = selectors.report_as_seen_by(self.request.user, report, detail=detail)
        return BurdenReportSerializer(reading, context={"detail": detail}).data

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "community",
                int,
                description="reports from one community (the demanding unit: only those whose reporter allowed it)",
            ),
            OpenApiParameter(
                "search",
                str,
                description="words of the demand (the office: also of the evidence's text; the unit: of the demand "
                "as it reads it)",
            ),
        ]
    )
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([self._reading_data(report, detail=False) for report in page])

    def retrieve(self, request, *args, **kwargs):
        return Response(self._reading_data(self.get_object(), detail=True))

    @extend_schema(
        request={"application/json": BurdenReportCreateSerializer, "multipart/form-data": BurdenReportCreateSerializer},
        responses={201: BurdenReportSerializer},
    )
    def create(self, request, *args, **kwargs):
        if request.user.role != Role.SECRETARY:
            raise exceptions.PermissionDenied(_("Community secretaries report burdens."))
        params = BurdenReportCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        report = call_service(
            services.report_submit,
            actor=request.user,
            demanding_unit=data["demanding_unit"],
            demand=data["demand"],
            demanded_on=data["demanded_on"],
            reveal_reporter=data["reveal_reporter"],
            files=data["evidence"],
        )
        report = selectors.reports_visible_to(request.user).prefetch_related("evidence").get(pk=report.pk)
        return Response(self._reading_data(report, detail=True), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=TriageSerializer,
        responses={200: BurdenReportSerializer, 409: _conflict("The report has been triaged already.")},
    )
    @action(detail=True, methods=["post"])
    def triage(self, request, pk=None):
        """The office dismisses the report, asks the unit to explain (the note is the question it reads), or
        opens a case (the unit does not see it)."""
        params = TriageSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        report = call_service(
            services.report_triage,
            report=self.get_object(),
            actor=request.user,
            decision=data["decision"],
            note=data["note"],
            internal=not data["share_note"],
        )
        return Response(self._reading_data(report, detail=True))

    @extend_schema(
        request=ExplanationSerializer,
        responses={200: BurdenReportSerializer, 409: _conflict("No explanation is asked of the unit now.")},
    )
    @action(detail=True, methods=["post"])
    def explain(self, request, pk=None):
        """The demanding unit's explanation, once the office asked for it."""
        params = ExplanationSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        report = call_service(
            services.report_explain,
            report=self.get_object(),
            actor=request.user,
            explanation=params.validated_data["explanation"],
        )
        report = selectors.reports_visible_to(request.user).get(pk=report.pk)
        return Response(self._reading_data(report, detail=True))


# --- Assessments held (考核记录) --------------------------------------------------------------------------


class AssessmentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Assessments held, as on `/supervision/assessments/`: the district's readers see all, a community those
    held in it, a unit those it held. `?findings=1`: those held off the list or outside their months. The unit
    that held one records it; the community confirms or disputes it."""

    serializer_class = AssessmentSerializer
    pagination_class = NewestFirst
    filterset_fields = ["state", "community", "unit", "on_the_list"]
    search_fields = ["title"]
    ordering_fields = []

    def get_queryset(self):
        qs = selectors.assessments_visible_to(self.request.user)
        if _flag(self.request, "findings"):
            qs = qs.filter(pk__in=selectors.assessment_findings(self.request.user).values("pk"))
        return qs

    @extend_schema(
        parameters=[OpenApiParameter("findings", str, enum=["1"], description="only those that are findings")]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=AssessmentCreateSerializer, responses={201: AssessmentSerializer})
    def create(self, request, *args, **kwargs):
        user = request.user
        if user.role not in (Role.DEPARTMENT_STAFF, Role.STREET_STAFF):
            raise exceptions.PermissionDenied(_("The unit that held the assessment records it."))
        params = AssessmentCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        item = _resolve(
            CatalogueItem.objects.filter(version__district_id=user.unit.district_id),
            data.get("item"),
            "item",
            _("No item #%(id)s in your district's catalogue."),
        )
        held = call_service(
            services.assessment_enter,
            actor=user,
            community=data["community"],
            title=data["title"],
            held_on=data["held_on"],
            item=item,
        )
        return Response(AssessmentSerializer(held).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={200: AssessmentSerializer, 409: _conflict("The community has already answered.")},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """The community's secretary confirms that the assessment was held."""
        held = call_service(services.assessment_answer, assessment=self.get_object(), actor=request.user, confirm=True)
        return Response(AssessmentSerializer(held).data)

    @extend_schema(
        request=DisputeSerializer,
        responses={200: AssessmentSerializer, 409: _conflict("The community has already answered.")},
    )
    @action(detail=True, methods=["post"])
    def dispute(self, request, pk=None):
        """The community's secretary disputes it, saying why (a disputed one is not counted by the check)."""
        params = DisputeSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        held = call_service(
            services.assessment_answer,
            assessment=self.get_object(),
            actor=request.user,
            confirm=False,
            reason=params.validated_data["reason"],
        )
        return Response(AssessmentSerializer(held).data)


# --- Inspections, findings, notices (督查、通报) ------------------------------------------------------------


def _office_district(user):
    if user.role not in (Role.CIVIL_AFFAIRS, Role.ADMIN) or user.unit_id is None:
        raise exceptions.PermissionDenied(_("The district's supervision office (civil-affairs staff) does this."))
    return user.unit.district


class InspectionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Inspections (督查) of the district's departments and street offices: read by the district's office,
    auditors and overseers (never by the inspected unit: a visit may be unannounced); planned by the office."""

    serializer_class = InspectionSerializer
    pagination_class = NewestFirst
    filterset_fields = ["unit"]
    ordering_fields = []

    def get_queryset(self):
        return selectors.inspections_visible_to(self.request.user)

    @extend_schema(request=InspectionSerializer, responses={201: InspectionSerializer})
    def create(self, request, *args, **kwargs):
        district = _office_district(request.user)
        params = InspectionSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        unit = data["unit"]
        if unit.district_id != district.pk:
            raise exceptions.ValidationError({"unit": [_("Choose a department or street office of your district.")]})
        inspection = call_service(
            services.inspection_plan,
            actor=request.user,
            unit=unit,
            title=data["title"],
            planned_on=data["planned_on"],
            notes=data.get("notes", ""),
        )
        return Response(InspectionSerializer(inspection).data, status=status.HTTP_201_CREATED)


class FindingViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Findings, as on `/supervision/findings/`: the district's readers see all; a unit its confirmed ones
    (never the burden report behind one). The office records findings, confirms or dismisses the system's
    proposals, and notifies a confirmed finding (全区通报并限期改正)."""

    serializer_class = FindingSerializer
    pagination_class = NewestFirst
    filterset_fields = ["state", "kind", "unit", "inspection"]
    search_fields = ["description"]
    ordering_fields = []

    def get_queryset(self):
        return selectors.findings_visible_to(self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "unit_staff": selectors.is_unit_staff(self.request.user)}

    @extend_schema(request=FindingCreateSerializer, responses={201: FindingSerializer})
    def create(self, request, *args, **kwargs):
        from approvals.models import Application
        from funding.models import Contract

        user = request.user
        district = _office_district(user)
        params = FindingCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        unit = _resolve(
            Unit.objects.filter(kind__in=[UnitKind.DEPARTMENT, UnitKind.STREET], district=district),
            data["unit"],
            "unit",
            _("No department or street office #%(id)s in your district."),
        )
        links = {
            "inspection": (
                selectors.inspections_visible_to(user).filter(district=district),
                _("No inspection #%(id)s in your district."),
            ),
            "burden_report": (
                selectors.reports_visible_to(user).filter(district=district),
                _("No burden report #%(id)s in your district."),
            ),
            "application": (
                Application.objects.filter(district=district),
                _("No application #%(id)s in your district."),
            ),
            "contract": (Contract.objects.filter(district=district), _("No contract #%(id)s in your district.")),
        }
        resolved = {name: _resolve(qs, data.get(name), name, missing) for name, (qs, missing) in links.items()}
        finding = call_service(
            services.finding_record,
            actor=user,
            unit=unit,
            kind=data["kind"],
            description=data["description"],
            **resolved,
        )
        return Response(FindingSerializer(finding).data, status=status.HTTP_201_CREATED)

    def _decide(self, confirm: bool):
        finding = call_service(
            services.finding_decide, finding=self.get_object(), actor=self.request.user, confirm=confirm
        )
        return Response(self.get_serializer(finding).data)

    @extend_schema(
        request=None, responses={200: FindingSerializer, 409: _conflict("The finding has been decided already.")}
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """The office confirms a finding the system proposed."""
        return self._decide(True)

    @extend_schema(
        request=None, responses={200: FindingSerializer, 409: _conflict("The finding has been decided already.")}
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        """The office dismisses a finding the system proposed."""
        return self._decide(False)

    @extend_schema(request=NoticeIssueSerializer, responses={201: NoticeSerializer})
    @action(detail=True, methods=["post"])
    def notice(self, request, pk=None):
        """Publish a notice naming the unit and this confirmed finding, with a correction deadline."""
        params = NoticeIssueSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        notice = call_service(
            services.notice_issue, finding=self.get_object(), actor=request.user, **params.validated_data
        )
        return Response(NoticeSerializer(notice).data, status=status.HTTP_201_CREATED)


class NoticeViewSet(viewsets.ReadOnlyModelViewSet):
    """Notices (通报), as on `/notices/`: published ones are public; drafts only the district's readers see.
    `?mine=1`: those of the caller's district, or about the caller's unit. The notified unit reports its
    corrective actions; the office verifies them and closes the notice, or reopens it."""

    serializer_class = NoticeSerializer
    pagination_class = NewestFirst
    filterset_fields = ["state", "district", "unit"]
    search_fields = ["title"]
    ordering_fields = []

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    def get_queryset(self):
        from ..workbench import notices_in_my_scope

        qs = selectors.notices_visible_to(self.request.user)
        if _flag(self.request, "mine") and self.request.user.is_authenticated:
            qs = qs & notices_in_my_scope(self.request.user)
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter("mine", str, enum=["1"], description="my district's notices, or those about my unit")
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=AnswerSerializer,
        responses={200: NoticeSerializer, 409: _conflict("The notice is not awaiting corrective actions.")},
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """The notified unit reports the corrective actions it took."""
        params = AnswerSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        notice = call_service(
            services.notice_answer, notice=self.get_object(), actor=request.user, answer=params.validated_data["answer"]
        )
        return Response(NoticeSerializer(notice).data)

    def _verify(self, accept: bool):
        params = VerificationSerializer(data=self.request.data)
        params.is_valid(raise_exception=True)
        notice = call_service(
            services.notice_verify,
            notice=self.get_object(),
            actor=self.request.user,
            accept=accept,
            verification=params.validated_data["verification"],
        )
        return Response(NoticeSerializer(notice).data)

    @extend_schema(
        request=VerificationSerializer,
        responses={200: NoticeSerializer, 409: _conflict("Only an answered notice is verified.")},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """The office verified the corrections: the notice is closed."""
        return self._verify(True)

    @extend_schema(
        request=VerificationSerializer,
        responses={200: NoticeSerializer, 409: _conflict("Only an answered notice is verified.")},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """The corrections were not made: the notice is reopened and the unit told why."""
        return self._verify(False)
