"""The audit trail in the API: the same readers, filters and wording as the page (audits.trail_view)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination

from catalog.choices import Role

from .. import trail_view


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field's name, as the page shows it (金额、状态 …).")
    before = serializers.CharField(help_text="Its value before, formatted (1,800.00 元, a choice's label, a name).")
    after = serializers.CharField(help_text="Its value after, formatted the same way.")


class TrailLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The entry's place in the hash chain.")
    at = serializers.DateTimeField(help_text="When, in Beijing time (+08:00).")
    who = serializers.CharField(help_text="The person's name, or the system for scheduled jobs.")
    unit = serializers.CharField(help_text="The person's unit (blank for the system).")
    ip = serializers.CharField(help_text="The address the request came from (blank for scheduled jobs).")
    action = serializers.CharField(help_text="The kind of action, in words (新建、修改、登录 …).")
    object = serializers.CharField(help_text="The kind of object, in words (付款、申请 …).")
    summary = serializers.CharField(help_text="What was done, in one sentence (记录付款 1,800.00 元，凭证号 …).")
    url = serializers.CharField(allow_null=True, help_text="The page of the object, where the reader may open it.")
    changes = ChangeSerializer(many=True, help_text="Each changed field, before and after.")
    note = serializers.CharField(allow_blank=True)
    hash = serializers.CharField(help_text="The entry's SHA-256 in the chain (manage.py verify_audit_trail).")


class NewestFirst(CursorPagination):
    ordering = ("-id",)
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _choices(pairs) -> list[str]:
    return [value for value, _label in pairs]


@extend_schema(
    parameters=[
        OpenApiParameter("unit", int, description="Entries by the people of this unit."),
        OpenApiParameter("person", int, description="Entries by this person."),
        OpenApiParameter("action", str, enum=_choices(trail_view.ActionKind.choices), description="Kind of action."),
        OpenApiParameter("object", str, enum=_choices(trail_view.object_kind_choices()), description="Kind of object."),
        OpenApiParameter("since", str, description="From this Beijing day (YYYY-MM-DD)."),
        OpenApiParameter("until", str, description="To this Beijing day (YYYY-MM-DD)."),
        OpenApiParameter("routine", bool, description="Include routine entries (sign-in times)."),
    ]
)
class TrailView(ListAPIView):
    """The audit trail as auditors read it: who, what, when (Beijing time), from where, and each changed field.
    Auditors read their district's entries, city overseers their city's, administrators every entry."""

    serializer_class = TrailLineSerializer
    pagination_class = NewestFirst
    filter_backends = []

    def get_queryset(self):
        user = self.request.user
        if user.role not in (Role.ADMIN, Role.AUDITOR, Role.OVERSEER):
            raise exceptions.PermissionDenied("Only auditors, city overseers and administrators read the trail.")
        form = trail_view.TrailFilter(self.request.query_params, user=user)
        if not form.is_valid():
            raise exceptions.ValidationError({name: list(errors) for name, errors in form.errors.items()})
        return trail_view.trail_entries(user=user, **form.filters())

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(trail_view.describe(page), many=True).data)
