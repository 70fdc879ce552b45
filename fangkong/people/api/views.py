from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from fangkong.api.base import ChangeModelPermissions, RestrictedEditViewSet
from fangkong.lib.history import history_entries
from fangkong.people.models import Household, Person
from fangkong.people.services.moves import MoveError, move_household, move_person

from .filtersets import HouseholdFilterSet, PersonFilterSet
from .serializers import (
    HistoryEntrySerializer,
    HouseholdSerializer,
    MoveRequestSerializer,
    MoveSerializer,
    PersonSerializer,
)

# Detail actions answer for one record: no list filters, no paging.
DETAIL_ACTION = {"detail": True, "filter_backends": [], "pagination_class": None}
MOVE_PERMISSIONS = [permissions.IsAuthenticated, ChangeModelPermissions]


class RecordActionsMixin:
    """The history and move actions that people and households share."""

    @extend_schema(summary="变更记录", responses=HistoryEntrySerializer(many=True))
    @action(**DETAIL_ACTION)
    def history(self, request, pk=None):
        entries = history_entries(self.get_object(), request.user)
        return Response(HistoryEntrySerializer(entries, many=True).data)

    def _move(self, service, request):
        record = self.get_object()
        form = MoveRequestSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        try:
            return service(record, user=request.user, **form.validated_data)
        except MoveError as error:
            raise ValidationError({"to_unit": [str(error)]}) from None


class PersonViewSet(RecordActionsMixin, RestrictedEditViewSet):
    """People (一人一档) living in units within the caller's jurisdiction."""

    queryset = Person.objects.select_related("unit", "household").order_by("id")
    serializer_class = PersonSerializer
    filterset_class = PersonFilterSet
    ordering_fields = ["id", "name", "birth_date", "created_at", "updated_at"]

    @extend_schema(summary="迁移人员", request=MoveRequestSerializer, responses={201: MoveSerializer})
    @action(methods=["post"], permission_classes=MOVE_PERMISSIONS, **DETAIL_ACTION)
    def move(self, request, pk=None):
        move = self._move(move_person, request)
        return Response(MoveSerializer(move).data, status=status.HTTP_201_CREATED)


class HouseholdViewSet(RecordActionsMixin, RestrictedEditViewSet):
    """Households (家庭户) within the caller's jurisdiction, with their members."""

    queryset = Household.objects.select_related("unit", "head").order_by("id")
    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilterSet
    ordering_fields = ["id", "number", "created_at", "updated_at"]

    def get_queryset(self):
        members = Person.objects.restrict(self.request.user).order_by("id")
        return super().get_queryset().prefetch_related(Prefetch("members", queryset=members))

    @extend_schema(
        summary="整户迁移", request=MoveRequestSerializer, responses={201: MoveSerializer(many=True)},
    )
    @action(methods=["post"], permission_classes=MOVE_PERMISSIONS, **DETAIL_ACTION)
    def move(self, request, pk=None):
        moves = self._move(move_household, request)
        return Response(MoveSerializer(moves, many=True).data, status=status.HTTP_201_CREATED)
