from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from catalog.api.errors import call_service

from .. import selectors, services
from ..answers import kept_briefs
from ..choices import ApplicationState
from .serializers import (
    ApplicationBriefSerializer,
    ApplicationDetailSerializer,
    ApplicationSerializer,
    BallotSerializer,
    BatchSerializer,
    DecisionSerializer,
    EarlyCloseSerializer,
    FilingSerializer,
    TextSerializer,
    VoteSerializer,
)


class NewestFirst(CursorPagination):
    """Keyset pagination: page 500 costs what page 1 costs."""

    ordering = ("-id",)
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200


def _run(func, **kwargs):
    return call_service(
        func, domain_errors=(services.ApplicationError,), conflicts=(services.ApplicationConflict,), **kwargs
    )


CONFLICT = OpenApiResponse(description="Someone acted first: the application (or ballot) is already in another state.")


class ApplicationViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Applications in the caller's scope. `?mine=1` lists the caller's unit's own; `?queue=1` what waits for
    the committee office. Applicants create and edit drafts; every state change is an action."""

    pagination_class = NewestFirst
    filterset_fields = ["state", "is_urgent", "batch", "requested_list"]
    search_fields = ["title"]
    ordering_fields = []

    @extend_schema(
        parameters=[
            OpenApiParameter("mine", str, enum=["1"], description="only the caller's unit's own applications"),
            OpenApiParameter("queue", str, enum=["1"], description="what waits for the committee office"),
            OpenApiParameter(
                "brief",
                str,
                enum=["1", "true"],
                description=(
                    "the brief representation (ApplicationBrief): what a reviewer's queue shows — id, title, state "
                    "in code and words, district and applying unit by name, the list and scope asked for with the "
                    "scope's unit ids, the dates and the batch's deadlines — read in one query. Without it, the "
                    "full representation (Application)."
                ),
            ),
        ],
        responses=PolymorphicProxySerializer(
            component_name="ApplicationListItem",
            serializers=[ApplicationSerializer, ApplicationBriefSerializer],
            resource_type_field_name=None,
            many=True,
        ),
    )
    def list(self, request, *args, **kwargs):
        if not self.brief:
            return super().list(request, *args, **kwargs)
        # The reviewer's queue, asked again and again: kept until an application (or what shows it) changes.
        return Response(
            kept_briefs(
                user=request.user,
                params=request.query_params,
                url=request.build_absolute_uri(request.path),
                compute=lambda: super(ApplicationViewSet, self).list(request, *args, **kwargs).data,
            )
        )

    @property
    def brief(self) -> bool:
        return self.action == "list" and self.request.query_params.get("brief") in ("1", "true")

    def get_serializer_class(self):
        if self.brief:
            return ApplicationBriefSerializer
        return ApplicationDetailSerializer if self.action == "retrieve" else ApplicationSerializer

    def get_queryset(self):
        user = self.request.user
        qs = (
            selectors.reviewer_queue(user)
            if self.request.query_params.get("queue") == "1"
            else selectors.applications_visible_to(user)
        )
        if self.request.query_params.get("mine") == "1":
            qs = qs.filter(applicant_unit_id=user.unit_id)
        if self.brief:
            return selectors.application_briefs(qs)
        if self.action == "retrieve":
            qs = qs.prefetch_related("events__actor", "scope_streets", "scope_communities")
        return qs.prefetch_related("scope_streets", "scope_communities")

    def perform_create(self, serializer):
        serializer.instance = _run(services.application_save, actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = _run(
            services.application_save,
            actor=self.request.user,
            application=serializer.instance,
            **serializer.validated_data,
        )

    @extend_schema(request=None, responses={200: FilingSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        application = self.get_object()
        filing = _run(services.application_submit, application=application, actor=request.user)
        application.refresh_from_db()
        return Response(
            FilingSerializer(
                {"warnings": filing.warnings, "earliest_start": filing.earliest_start, "application": application}
            ).data
        )

    @extend_schema(request=TextSerializer, responses={200: ApplicationSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._act(services.application_withdraw, "reason")

    @extend_schema(request=TextSerializer, responses={200: ApplicationSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """The office's comprehensive review (综合评审); puts the application before the committee."""
        return self._act(services.office_review, "opinion")

    @extend_schema(request=DecisionSerializer, responses={200: ApplicationSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """The committee's decision with minutes, or the office's immediate decision on an urgent item."""
        params = DecisionSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        application = self.get_object()
        if application.is_urgent and application.state == ApplicationState.SUBMITTED:
            result = _run(
                services.urgent_decide,
                application=application,
                actor=request.user,
                approve=params.validated_data["approve"],
                note=params.validated_data["text"],
            )
        else:
            result = _run(
                services.committee_decide,
                application=application,
                actor=request.user,
                approve=params.validated_data["approve"],
                minutes=params.validated_data["text"],
            )
        return Response(ApplicationSerializer(result).data)

    def _act(self, service, text_argument: str):
        params = TextSerializer(data=self.request.data)
        params.is_valid(raise_exception=True)
        result = _run(
            service,
            application=self.get_object(),
            actor=self.request.user,
            **{text_argument: params.validated_data["text"]},
        )
        return Response(ApplicationSerializer(result).data)


class BatchViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = BatchSerializer
    filterset_fields = ["district", "year", "state"]

    def get_queryset(self):
        return selectors.batches_visible_to(self.request.user).order_by("-year", "-month", "id")

    @extend_schema(request=None, responses={200: BatchSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        """Close intake and open consultation now (the scheduled job does it on the date)."""
        batch = self.get_object()
        _run(services.batch_open_consultation, batch=batch, actor=request.user)
        batch.refresh_from_db()
        return Response(BatchSerializer(batch).data)

    @extend_schema(request=EarlyCloseSerializer, responses={200: BatchSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def tally(self, request, pk=None):
        """After the consultation deadline, or before it when every consulted unit has voted; otherwise only
        with the office's recorded `reason` (the units that had not voted are recorded with it)."""
        params = EarlyCloseSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        batch = self.get_object()
        _run(services.batch_tally, batch=batch, actor=request.user, early_reason=params.validated_data["reason"])
        batch.refresh_from_db()
        return Response(BatchSerializer(batch).data)


class BallotViewSet(viewsets.ReadOnlyModelViewSet):
    """The ballots of the caller's street office or community."""

    serializer_class = BallotSerializer
    filterset_fields = ["vote", "application"]

    def get_queryset(self):
        return selectors.ballots_for(self.request.user).order_by("vote", "deadline", "id")

    @extend_schema(request=VoteSerializer, responses={200: BallotSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        params = VoteSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        ballot = _run(services.ballot_cast, ballot=self.get_object(), actor=request.user, **params.validated_data)
        return Response(BallotSerializer(ballot).data)
