"""What every API view shares: the jurisdiction filter, model permissions including
`view`, related fields that only accept records within the caller's jurisdiction, and
ID/phone fields masked unless the caller's role may see them."""

from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, permissions, serializers, viewsets

from fangkong.lib.masking import mask_id_number, mask_phone
from fangkong.orgs.models import Unit


class ModelPermissions(permissions.DjangoModelPermissions):
    """Django model permissions, with `view_<model>` required to read."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class ChangeModelPermissions(ModelPermissions):
    """For actions that change an existing record by POST (move, …): `change_<model>`."""

    perms_map = {**ModelPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


class RestrictedViewSetMixin:
    """Every queryset goes through `restrict(user)`: outside the jurisdiction is 404."""

    permission_classes = [permissions.IsAuthenticated, ModelPermissions]

    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user)


class RestrictedModelViewSet(RestrictedViewSetMixin, viewsets.ModelViewSet):
    pass


class RestrictedReadOnlyViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class RestrictedEditViewSet(
    RestrictedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, read, create and change; records are kept, so there is no delete."""


class _RestrictedRelatedMixin:
    """Only records within the caller's jurisdiction can be chosen; any other is reported
    as missing, so a write never lands outside the jurisdiction."""

    def get_queryset(self):
        request = self.context.get("request")
        return super().get_queryset().restrict(request.user if request else None)


class RestrictedPrimaryKeyRelatedField(_RestrictedRelatedMixin, serializers.PrimaryKeyRelatedField):
    default_error_messages = {"does_not_exist": _("编号为 {pk_value} 的记录不存在或不在您的辖区内。")}


class UnitCodeField(_RestrictedRelatedMixin, serializers.SlugRelatedField):
    """A unit given and shown by its code, chosen within the caller's jurisdiction."""

    default_error_messages = {"does_not_exist": _("单位编码“{value}”不存在或不在您的辖区内。")}

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", Unit.objects.all())
        super().__init__(**kwargs)


class _MaskedField(serializers.CharField):
    mask = None

    def to_representation(self, value):
        value = super().to_representation(value)
        request = self.context.get("request")
        if request is not None and request.user.sees_identity():
            return value
        return type(self).mask(value)


class IDNumberField(_MaskedField):
    """An ID number, masked (4306**********123X) for roles that may not see it."""

    mask = staticmethod(mask_id_number)


class PhoneField(_MaskedField):
    """A phone number, masked (138****5678) for roles that may not see it."""

    mask = staticmethod(mask_phone)
