from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, mixins, permissions, viewsets
from rest_framework.generics import RetrieveAPIView

from .. import selectors, services
from ..choices import UnitKind
from ..filters import CommunityFilter, UnitFilter, UserFilter
from .serializers import DistrictPolicySerializer, UnitSerializer, UserSerializer


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


class DistrictPolicyViewSet(mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """A district's gate rules. Readable in the district's scope; editable by its civil-affairs staff."""

    serializer_class = DistrictPolicySerializer
    lookup_field = "district"
    filterset_fields = ["district"]
    http_method_names = ["get", "put", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.policies_visible_to(self.request.user)

    def perform_update(self, serializer):
        try:
            serializer.instance = services.policy_update(
                policy=serializer.instance, actor=self.request.user, **serializer.validated_data
            )
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc
