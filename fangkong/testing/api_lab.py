"""REST API of the lab and of certificates (registered under /api/v1/ by fangkong.api.urls):
receiving tubes in batches, posting and listing tube results, and the certificate query
checkpoints and school gates call."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fangkong.api.base import ModelPermissions, RestrictedViewSetMixin, UnitCodeField
from fangkong.lib.idnumbers import normalise as normalise_id
from fangkong.lib.masking import mask_id_number
from fangkong.orgs.models import UnitType
from fangkong.people.models import Person, with_id_number

from .models import LabBatch, Result, Sample, TubeResult
from .services.certificates import WINDOWS, certificate
from .services.lab import ResultRowsError, normalise_barcode, receive_tubes, record_results, results_for


class LabBatchSerializer(serializers.ModelSerializer):
    lab = UnitCodeField(label=gettext_lazy("检测机构编码"))
    lab_name = serializers.CharField(source="lab.name", read_only=True, label=gettext_lazy("检测机构"))
    barcodes = serializers.ListField(child=serializers.CharField(max_length=60), write_only=True, allow_empty=False,
                                     max_length=100000, label=gettext_lazy("试管条码"))
    received_by = serializers.StringRelatedField(read_only=True)
    unknown = serializers.ListField(child=serializers.CharField(), read_only=True, label=gettext_lazy("查无此管"))
    already_received = serializers.ListField(child=serializers.CharField(), read_only=True,
                                             label=gettext_lazy("此前已接收"))
    closed_on_receipt = serializers.ListField(child=serializers.CharField(), read_only=True,
                                              label=gettext_lazy("接收时封管"))
    messages = serializers.ListField(child=serializers.CharField(), read_only=True, label=gettext_lazy("提示"))

    class Meta:
        model = LabBatch
        fields = ["id", "lab", "lab_name", "received_at", "received_by", "tubes", "barcodes", "unknown",
                  "already_received", "closed_on_receipt", "messages"]
        read_only_fields = ["received_at", "tubes"]

    def validate_lab(self, lab):
        if lab.type != UnitType.LAB:
            raise serializers.ValidationError(_("“%(name)s”不是检测机构。") % {"name": lab.name})
        return lab

    def create(self, validated_data):
        try:
            return receive_tubes(validated_data["lab"], validated_data["barcodes"], self.context["request"].user,
                                 timezone.now())
        except DjangoValidationError as error:
            raise serializers.ValidationError({"barcodes": error.messages}) from None


class LabBatchViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Lab batches (送检批次) of the labs in the caller's jurisdiction. POST receives tubes:
    {lab: unit code, barcodes: [...]}; a tube still open is closed on receipt; unknown and
    already received barcodes are reported and not received."""

    queryset = LabBatch.objects.select_related("lab", "received_by")
    serializer_class = LabBatchSerializer
    filterset_fields = []
    ordering_fields = ["received_at", "id"]


class TubeResultRowSerializer(serializers.Serializer):
    """One result row as posted (checked by the lab service, not by this serializer)."""

    barcode = serializers.CharField(label=gettext_lazy("试管条码"))
    result = serializers.CharField(label=gettext_lazy("检测结果"),
                                   help_text=gettext_lazy("negative/positive/abnormal/invalid，或阴性/阳性/异常/可疑/无效"))
    ct_values = serializers.DictField(child=serializers.FloatField(), required=False, label=gettext_lazy("Ct值"),
                                      help_text=gettext_lazy("如 {\"ORF1ab\": 35.2, \"N\": 36.1}"))
    tested_at = serializers.DateTimeField(required=False, label=gettext_lazy("检测时间"),
                                          help_text=gettext_lazy("默认现在"))


class CountsSerializer(serializers.Serializer):
    rows = serializers.IntegerField(label=gettext_lazy("行数"))
    tubes = serializers.IntegerField(label=gettext_lazy("管数"))
    negative = serializers.IntegerField(label=gettext_lazy("阴性"))
    positive = serializers.IntegerField(label=gettext_lazy("阳性"))
    abnormal = serializers.IntegerField(label=gettext_lazy("异常（可疑）"))
    invalid = serializers.IntegerField(label=gettext_lazy("无效"))
    duplicates = serializers.IntegerField(label=gettext_lazy("重复上报"))
    conflicts = serializers.IntegerField(label=gettext_lazy("结果冲突"))
    unknown = serializers.IntegerField(label=gettext_lazy("查无此管"))


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, label=gettext_lazy("行号"))
    field = serializers.CharField(label=gettext_lazy("字段"))
    column = serializers.CharField(label=gettext_lazy("列"))
    message = serializers.CharField(label=gettext_lazy("错误原因"))


class RowErrorsSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = RowErrorSerializer(many=True)
    counts = CountsSerializer()


class TubeResultSerializer(serializers.ModelSerializer):
    barcode = serializers.CharField(source="tube.barcode", read_only=True, label=gettext_lazy("试管条码"))
    reported_by = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = TubeResult
        fields = ["id", "barcode", "result", "ct_values", "tested_at", "reported_at", "source", "reported_by",
                  "conflicting"]


class TubeResultFilterSet(django_filters.FilterSet):
    barcode = django_filters.CharFilter(method="filter_barcode", label=gettext_lazy("试管条码"))
    result = django_filters.ChoiceFilter(choices=Result.choices, label=gettext_lazy("检测结果"))

    class Meta:
        model = TubeResult
        fields = ["conflicting"]

    def filter_barcode(self, queryset, name, value):
        return queryset.filter(tube__barcode=normalise_barcode(value))


class TubeResultViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Tube results (检测结果) of the tubes sampled in the caller's jurisdiction or received by
    a lab in it, every result as reported. POST a JSON list of rows {barcode, result,
    ct_values, tested_at}: all rows are checked first and, when any is bad, 400 with each row's
    error in Chinese and nothing written. A different later result for a tube is kept, flagged
    and alerted; the tube keeps its first result."""

    queryset = TubeResult.objects.none()
    serializer_class = TubeResultSerializer
    filterset_class = TubeResultFilterSet
    permission_classes = [permissions.IsAuthenticated, ModelPermissions]
    ordering_fields = ["reported_at", "tested_at", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TubeResult.objects.none()
        return results_for(self.request.user).select_related("reported_by")

    @extend_schema(request=TubeResultRowSerializer(many=True), responses={201: CountsSerializer,
                                                                          400: RowErrorsSerializer})
    def create(self, request, *args, **kwargs):
        rows = request.data
        if not isinstance(rows, list):
            return Response({"detail": _("请提交结果行的列表（JSON数组）。")}, status=status.HTTP_400_BAD_REQUEST)
        try:
            counts = record_results(rows, request.user, timezone.now(), source="api")
        except ResultRowsError as error:
            return Response({"detail": str(error), "errors": error.errors, "counts": error.counts},
                            status=status.HTTP_400_BAD_REQUEST)
        return Response(counts, status=status.HTTP_201_CREATED)


class CertificatePersonSerializer(serializers.Serializer):
    name = serializers.CharField(label=gettext_lazy("姓名"))
    id_number = serializers.CharField(label=gettext_lazy("证件号码"))


class CertificateSerializer(serializers.Serializer):
    person = CertificatePersonSerializer()
    valid = serializers.BooleanField(label=gettext_lazy("持有效阴性结果"))
    tested_at = serializers.DateTimeField(allow_null=True, label=gettext_lazy("最近一次检测时间"))
    age_hours = serializers.FloatField(allow_null=True, label=gettext_lazy("距今小时数"))
    window_hours = serializers.IntegerField(label=gettext_lazy("时限（小时）"))


def mask_name(name):
    """张*丰, 李*: the first character (and the last of a longer name) stays."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


class CanViewSamples(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("testing.view_sample")


class CertificateViewSet(viewsets.GenericViewSet):
    """The negative-result certificate (核酸证明) checkpoints and school gates call.

    Rule: a gate must be able to check anyone who walks up, so any authenticated user with
    `testing.view_sample` may ask about any person by their full ID number (`id_number`); the
    answer then reveals nothing but whether a valid negative result is held, when it was tested
    and its age — name and ID masked. Asking by record id (`person`) is limited to the caller's
    jurisdiction (else 404), since record ids can be counted through. The name and ID are shown
    in full only to a caller whose jurisdiction holds the person and whose role may see identity
    numbers. Only the person's latest result counts (see services.certificates)."""

    queryset = Sample.objects.none()
    serializer_class = CertificateSerializer
    permission_classes = [permissions.IsAuthenticated, CanViewSamples]
    pagination_class = None
    filter_backends = []

    @extend_schema(
        parameters=[
            OpenApiParameter("id_number", OpenApiTypes.STR, description=gettext_lazy("证件号码（全号）")),
            OpenApiParameter("person", OpenApiTypes.INT, description=gettext_lazy("人员编号（限本辖区）")),
            OpenApiParameter("hours", OpenApiTypes.INT, enum=list(WINDOWS), default=48,
                             description=gettext_lazy("时限（小时）：24、48、72或168")),
        ],
        responses={200: CertificateSerializer},
    )
    @action(detail=False, methods=["get"])
    def certificate(self, request):
        try:
            hours = int(request.query_params.get("hours") or 48)
        except ValueError:
            hours = None
        if hours not in WINDOWS:
            raise serializers.ValidationError({"hours": _("时限只能是24、48、72或168小时（7天）。")})
        persons, shown = self._persons(request)
        answer = certificate(persons, hours, timezone.now())
        person = persons[0]
        full = shown and request.user.sees_identity()
        data = {
            "person": {"name": person.name if full else mask_name(person.name),
                       "id_number": person.id_number if full else mask_id_number(person.id_number)},
            **{key: answer[key] for key in ("valid", "tested_at", "age_hours", "window_hours")},
        }
        return Response(CertificateSerializer(data).data)

    def _persons(self, request):
        """(the person records asked about, whether the caller's jurisdiction holds them)."""
        id_number = normalise_id(request.query_params.get("id_number"))
        person_id = request.query_params.get("person")
        visible = Person.objects.restrict(request.user)
        if id_number:
            persons = list(Person.objects.filter(with_id_number(id_number)).order_by("is_provisional", "pk"))
            if not persons:
                raise Http404(_("没有这个证件号码的人员记录。"))
            shown = visible.filter(pk__in=[p.pk for p in persons]).exists()
            return persons, shown
        if person_id:
            if not person_id.isdigit():
                raise serializers.ValidationError({"person": _("人员编号应为数字。")})
            person = visible.filter(pk=int(person_id)).first()
            if person is None:
                raise Http404(_("该人员不存在或不在您的辖区内。"))
            return [person], True
        raise serializers.ValidationError({"id_number": _("请提供证件号码（id_number）或人员编号（person）。")})


def register(router):
    router.register("lab-batches", LabBatchViewSet, basename="labbatch")
    router.register("tube-results", TubeResultViewSet, basename="tuberesult")
    router.register("testing", CertificateViewSet, basename="testing-certificate")
