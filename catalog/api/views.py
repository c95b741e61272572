from datetime import date

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.generics import RetrieveAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import answers, demands, limits, notice, selectors, services, uploads
from .. import imports as catalog_imports
from ..check import check_demand
from ..choices import Role, UnitKind, VersionState
from ..filters import CatalogueItemFilter, CommunityFilter, UnitFilter, UserFilter
from ..ids import parse_id
from ..io import ImportRejected
from ..models import CatalogueImport, CatalogueItem, Unit
from ..models.catalogue import PublishedVersionError
from .errors import call_service
from .serializers import (
    CatalogueItemSerializer,
    CatalogueVersionSerializer,
    CheckQuerySerializer,
    CheckResultSerializer,
    DiffSerializer,
    DistrictPolicySerializer,
    ImportApplySerializer,
    ImportSerializer,
    ImportUploadSerializer,
    NoticeCheckSerializer,
    NoticeTextRequestSerializer,
    PhotoCheckRequestSerializer,
    PublishSerializer,
    UnitSerializer,
    UserSerializer,
    check_result_data,
)


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    """The organisation tree is public: readable without login."""

    kind = UnitKind.CITY
    serializer_class = UnitSerializer
    permission_classes = [permissions.AllowAny]
    filterset_class = UnitFilter
    search_fields = ["name", "code"]
    ordering_fields = ["name", "code", "id"]

    def get_queryset(self):
        return selectors.units_public(kind=self.kind)


class CityViewSet(UnitViewSet):
    kind = UnitKind.CITY


class DistrictViewSet(UnitViewSet):
    kind = UnitKind.DISTRICT


class StreetViewSet(UnitViewSet):
    kind = UnitKind.STREET


class DepartmentViewSet(UnitViewSet):
    kind = UnitKind.DEPARTMENT


class CommunityViewSet(UnitViewSet):
    kind = UnitKind.COMMUNITY
    filterset_class = CommunityFilter


class MeView(RetrieveAPIView):
    """The signed-in user, with their unit and role."""

    serializer_class = UserSerializer

    def get_object(self):
        return self.request.user


class UserViewSet(viewsets.ReadOnlyModelViewSet):
    """Users in the caller's scope: their district (or city, for an overseer), or just their own unit."""

    serializer_class = UserSerializer
    filterset_class = UserFilter
    search_fields = ["username", "first_name", "last_name"]

    def get_queryset(self):
        return selectors.users_visible_to(self.request.user)


# Typed by hand: drf-spectacular would otherwise evaluate a queryset to type the foreign key, so generating the
# schema (and `check --deploy`, which generates it) would need a migrated database.
_DISTRICT_IN_PATH = OpenApiParameter("district", int, OpenApiParameter.PATH)


@extend_schema_view(
    retrieve=extend_schema(parameters=[_DISTRICT_IN_PATH]),
    update=extend_schema(parameters=[_DISTRICT_IN_PATH]),
    partial_update=extend_schema(parameters=[_DISTRICT_IN_PATH]),
)
class DistrictPolicyViewSet(mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """A district's gate rules. Readable in the district's scope; editable by its civil-affairs staff."""

    serializer_class = DistrictPolicySerializer
    lookup_field = "district"
    # Typed in the schema without a query; anything else, or a number too long for a column, answers 404.
    lookup_value_regex = r"[0-9]{1,18}"
    filterset_fields = ["district"]
    http_method_names = ["get", "put", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.policies_visible_to(self.request.user)

    def perform_update(self, serializer):
        serializer.instance = _domain_errors(
            services.policy_update, policy=serializer.instance, actor=self.request.user, **serializer.validated_data
        )


def _domain_errors(func, *args, **kwargs):
    """Run a catalogue service; an import's row errors are listed as they are."""
    try:
        return call_service(func, *args, domain_errors=(services.CatalogueError, PublishedVersionError), **kwargs)
    except ImportRejected as exc:
        raise exceptions.ValidationError({"errors": [str(e) for e in exc.errors]}) from exc


class CatalogueVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Catalogue versions. Published ones are public; drafts are seen by the district's staff only."""

    serializer_class = CatalogueVersionSerializer
    permission_classes = [permissions.AllowAny]
    filterset_fields = ["district", "state"]
    ordering_fields = ["effective_from", "number"]

    def get_queryset(self):
        return selectors.versions_visible_to(self.request.user).order_by("district_id", "-effective_from", "-number")

    @extend_schema(
        parameters=[OpenApiParameter("against", int, description="the older version to compare with")],
        responses=DiffSerializer,
    )
    @action(detail=True)
    def diff(self, request, pk=None):
        """Added, removed and changed items between `against` (default: the previous version) and this one."""
        new = self.get_object()
        against = request.query_params.get("against")
        versions = self.get_queryset().filter(district_id=new.district_id)
        if against:
            if parse_id(against) is None:
                raise exceptions.ValidationError({"against": "Give the id of another version of the same district."})
            old = versions.filter(pk=parse_id(against)).first()
        else:
            old = (
                versions.filter(state=VersionState.PUBLISHED)
                .exclude(pk=new.pk)
                .filter(effective_from__lt=new.effective_from or date.max)
                .order_by("-effective_from")
                .first()
            )
        if old is None:
            raise exceptions.NotFound("There is no such version of this district to compare with.")
        diff = selectors.versions_diff(old=old, new=new)
        return Response(DiffSerializer({"old": old, "new": new, **diff}).data)

    @extend_schema(
        request=ImportUploadSerializer,
        responses={201: ImportSerializer, 409: OpenApiResponse(description="The version is not a draft.")},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="import",
        permission_classes=[permissions.IsAuthenticated],
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_sheet(self, request, pk=None):
        """Read a sheet into a proposal for the draft: what it would change. Nothing changes until applied."""
        draft = self.get_object()
        params = ImportUploadSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        upload = params.validated_data["file"]
        record = _domain_errors(
            catalog_imports.import_propose, draft=draft, actor=request.user, upload=upload, filename=upload.name
        )
        return Response(ImportSerializer(_import_data(record)).data, status=201)

    @extend_schema(request=PublishSerializer, responses=CatalogueVersionSerializer)
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def publish(self, request, pk=None):
        """Publish the draft as a version in force from `effective_from`."""
        draft = self.get_object()
        params = PublishSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        version = _domain_errors(services.version_publish, draft=draft, actor=request.user, **params.validated_data)
        return Response(CatalogueVersionSerializer(version).data)


def _import_data(record) -> dict:
    plan = catalog_imports.plan_import(draft=record.draft, record=record)
    return {
        **{f: getattr(record, f) for f in ("id", "draft_id", "state", "filename", "fields", "created_at")},
        "decided_at": record.decided_at,
        "whole_lists": record.whole_lists,
        "lists": plan.lists,
        # A decided import says what it did (recorded); a proposal what it would do now.
        "counts": plan.counts() if record.state == "proposed" else record.counts,
        "warnings": plan.warnings,
        "stale": record.state == "proposed" and catalog_imports.draft_basis(record.draft) != record.basis,
        "changes": [
            {
                "kind": c.kind,
                "list": c.list,
                "title": c.title,
                "row": c.row,
                "key": str(c.item.key if c.item else c.values.get("key", "")),
                "fields": [vars(f) for f in c.fields],
                "notes": c.notes,
            }
            for c in plan.changes
        ],
    }


IMPORT_CONFLICT = OpenApiResponse(
    description="The import is already decided, or the draft changed since the sheet was read (upload it again)."
)


class CatalogueImportViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Spreadsheet imports of a draft (`POST /versions/{id}/import/`): read the proposal, then apply or cancel it.
    Applying a proposal after the draft changed answers 409: upload the sheet again."""

    serializer_class = ImportSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        drafts = selectors.versions_visible_to(self.request.user).filter(state=VersionState.DRAFT)
        return CatalogueImport.objects.filter(draft__in=drafts).select_related("draft__district")

    def retrieve(self, request, *args, **kwargs):
        return Response(ImportSerializer(_import_data(self.get_object())).data)

    @extend_schema(request=ImportApplySerializer, responses={200: ImportSerializer, 409: IMPORT_CONFLICT})
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        """Apply the proposal to the draft in one transaction (removing, on `whole_lists`, what the sheet lacks)."""
        record = self.get_object()
        params = ImportApplySerializer(data=request.data)
        params.is_valid(raise_exception=True)
        record = _domain_errors(
            catalog_imports.import_apply, record=record, actor=request.user, **params.validated_data
        )
        return Response(ImportSerializer(_import_data(record)).data)

    @extend_schema(request=None, responses={200: ImportSerializer, 409: IMPORT_CONFLICT})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        record = _domain_errors(catalog_imports.import_cancel, record=self.get_object(), actor=request.user)
        return Response(ImportSerializer(_import_data(record)).data)


class CatalogueItemViewSet(viewsets.ModelViewSet):
    """Items of a version (`?version=`), or in force in a district on a date (`?district=&date=`).

    `?q=` ranks by a Chinese full-text match. Writes go to the district's draft only.
    """

    serializer_class = CatalogueItemSerializer
    filterset_class = CatalogueItemFilter
    search_fields = []
    ordering_fields = ["code", "title"]

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    listed_version = None

    def get_queryset(self):
        qs = CatalogueItem.objects.select_related("version")
        if self.action != "list" or getattr(self, "swagger_fake_view", False):
            return qs.filter(version__in=selectors.versions_visible_to(self.request.user))
        self.listed_version = self._listed_version()
        return qs.filter(version=self.listed_version) if self.listed_version else qs.none()

    def _listed_version(self):
        """The version a list shows: `?version=` (if visible), or the one in force in `?district=` on `?date=`."""
        params = self.request.query_params
        if params.get("version"):
            return selectors.versions_visible_to(self.request.user).filter(pk=_small_id(params["version"])).first()
        if not _small_id(params.get("district")):
            raise exceptions.ValidationError({"district": "Give a district id (or a version id) to list items."})
        on = _date_param(params.get("date"))
        return selectors.version_in_force(district_id=_small_id(params["district"]), on=on)

    @extend_schema(
        parameters=[
            OpenApiParameter("version", int, description="the items of this version"),
            OpenApiParameter("district", int, description="the items in force in this district (without `version`)"),
            OpenApiParameter("date", OpenApiTypes.DATE, description="in force on this day (default today)"),
            OpenApiParameter("q", str, description="ranked by a Chinese full-text match"),
        ]
    )
    def list(self, request, *args, **kwargs):
        q = request.query_params.get("q", "").strip()
        if not q:
            return super().list(request, *args, **kwargs)
        params, host = request.query_params.dict(), request.get_host()  # the page links are absolute
        known = {"version", "district", "date", "q", "list", "type", "ordering", "page", "page_size", "format"}

        def compute(queryset):
            ranked = selectors.items_search(items=self.filter_queryset(queryset), q=q)
            page = self.paginate_queryset(ranked)
            return self.get_paginated_response(self.get_serializer(page, many=True).data).data

        if params.get("version"):
            # A published version never changes: its searches are cached under its id (catalog.answers).
            queryset = self.get_queryset()  # which version, if this user may see it
            answer = answers.search_answer(
                kind="api",
                version=self.listed_version,
                params=params,
                known=known,
                extra=host,
                compute=lambda: compute(queryset),
            )
        else:
            # What is in force in a district: cached under the generation that publishing moves on, so that a
            # hit does not even ask which version that is (catalog.answers).
            answer = answers.district_answer(
                kind="api",
                district_id=_small_id(params.get("district")),
                on=_date_param(params.get("date")),
                params=params,
                known=known,
                extra=host,
                compute=lambda: compute(self.get_queryset()),
            )
        return Response(answer)

    def retrieve(self, request, *args, **kwargs):
        """A caller who is not signed in sees only published versions' items, which never change: their answer
        is kept under the catalogue's generation (one round trip, no query); a 404 is never kept."""
        item_id = parse_id(kwargs.get("pk"))
        if request.user.is_authenticated or request.query_params or item_id is None:
            # Not an id as ids are written (`+12`, ` 12`): the lookup may still find one, but never keep it under
            # a key another path shares.
            return super().retrieve(request, *args, **kwargs)
        answer = answers.district_answer(
            kind=f"api-item-{item_id}",
            district_id=0,  # the item names its district: the id is the key
            on=None,
            params={},
            known=set(),
            extra=request.get_host(),
            compute=lambda: super(CatalogueItemViewSet, self).retrieve(request, *args, **kwargs).data,
        )
        return Response(answer)

    def perform_create(self, serializer):
        draft = _domain_errors(
            services.draft_start, district=_district_of_request(self.request), actor=self.request.user
        )
        serializer.instance = _domain_errors(
            services.item_save, draft=draft, actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        item = serializer.instance
        serializer.instance = _domain_errors(
            services.item_save, draft=item.version, actor=self.request.user, item=item, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        _domain_errors(services.item_delete, item=instance, actor=self.request.user)


def _small_id(value: str | None) -> int:
    """An id from a query string; anything that is not one (or too large for a column) finds nothing."""
    return parse_id(value) or 0


def _date_param(value: str | None) -> date:
    if not value:
        return timezone.localdate()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise exceptions.ValidationError({"date": f"“{value}” is not a date; use YYYY-MM-DD."}) from exc


def _district_of_request(request) -> Unit:
    district_id = request.query_params.get("district") or request.data.get("district")
    if request.user.is_authenticated and request.user.role == Role.CIVIL_AFFAIRS and not district_id:
        return request.user.unit.district
    district = Unit.objects.districts().filter(pk=parse_id(district_id)).first()
    if district is None:
        raise exceptions.ValidationError({"district": "Give the id of the district whose draft this item joins."})
    return district


def _community(community_id: int) -> Unit | None:
    # Built only when read: a check that finds its community kept builds no queryset either.
    return Unit.objects.communities().select_related("parent__parent__parent").filter(pk=community_id).first()


class CheckView(APIView):
    """The check: may this demand be put on this community? Ranked candidates, each with a verdict."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[CheckQuerySerializer], responses=CheckResultSerializer)
    def get(self, request):
        params = CheckQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        on, q = data.get("date") or timezone.localdate(), data.get("q", "")

        def compute():
            community = answers.kept_read(("community", data["community"]), lambda: _community(data["community"]))
            if community is None:
                raise exceptions.ValidationError({"community": f"No community has the id {data['community']}."})
            item = None
            if data.get("item"):
                item = CatalogueItem.objects.filter(  # a published version's: a draft's is not read by its id
                    pk=data["item"], version__district_id=community.district_id, version__state=VersionState.PUBLISHED
                ).first()
                if item is None:
                    raise exceptions.ValidationError({"item": "No such item in this community's district catalogue."})
            return check_result_data(check_demand(community=community, on=on, q=q, item=item))

        answer = answers.check_answer(
            community_id=data["community"], on=on, q=q, item_id=data.get("item"), compute=compute
        )
        demands.record_answer(answer, picked=not q, user=request.user)  # cached or not, every check is kept
        return Response(answer)


def _notice_community(community_id: int) -> Unit:
    community = _community(community_id)
    if community is None:
        raise exceptions.ValidationError({"community": f"No community has the id {community_id}."})
    return community


class PhotoCheckView(APIView):
    """A photo or screenshot of a notice: the text read from it, and each demand in it with the check's verdict.

    Public, like the check. The picture is read and forgotten: nothing of it is stored. Pictures above 10 MB or
    50 million pixels are refused before they are decoded; one that takes longer than 20 s to read is refused."""

    permission_classes = [permissions.AllowAny]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": PhotoCheckRequestSerializer},
        responses={
            200: NoticeCheckSerializer,
            400: OpenApiResponse(description="not a picture, too large, too slow"),
            429: OpenApiResponse(description="too many pictures from this caller in the window (catalog.limits.RATES)"),
        },
    )
    def post(self, request):
        from ..photo import PictureRejected, read_picture

        params = PhotoCheckRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        community = _notice_community(data["community"])
        upload = data["image"]
        try:
            limits.rate_take(request, "photo")
        except limits.RateExceeded as refused:
            raise exceptions.Throttled(detail=refused.message) from refused
        if upload.size > uploads.MAX_PICTURE_BYTES:  # refused before it is read into memory
            raise exceptions.ValidationError({"image": uploads.picture_too_large(upload.size)})
        try:
            reading = read_picture(upload.read())
        except PictureRejected as exc:
            raise exceptions.ValidationError({"image": str(exc)}) from exc
        result = notice.check_notice(
            community=community, on=data.get("date") or timezone.localdate(), text=reading.text, reading=reading
        )
        return Response(NoticeCheckSerializer(result).data)


class NoticeCheckView(APIView):
    """A notice's text (typed, or read from a picture and corrected): each demand in it with the check's verdict."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request=NoticeTextRequestSerializer,
        responses={
            200: NoticeCheckSerializer,
            429: OpenApiResponse(description="too many notices from this caller in the window (catalog.limits.RATES)"),
        },
    )
    def post(self, request):
        params = NoticeTextRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            limits.rate_take(request, "notice")
        except limits.RateExceeded as refused:
            raise exceptions.Throttled(detail=refused.message) from refused
        result = notice.check_notice(
            community=_notice_community(data["community"]),
            on=data.get("date") or timezone.localdate(),
            text=data["text"],
            placement=notice.placement_from_token(data.get("placement", "")),
        )
        return Response(NoticeCheckSerializer(result).data)
