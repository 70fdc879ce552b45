"""What every API view shares: the jurisdiction filter, model permissions including
`view`, and ID/phone fields masked unless the caller's role may see them."""

from rest_framework import permissions, serializers, viewsets

from fangkong.lib.masking import mask_id_number, mask_phone


class ModelPermissions(permissions.DjangoModelPermissions):
    """Django model permissions, with `view_<model>` required to read."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class RestrictedViewSetMixin:
    """Every queryset goes through `restrict(user)`: outside the jurisdiction is 404."""

    permission_classes = [permissions.IsAuthenticated, ModelPermissions]

    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user)


class RestrictedModelViewSet(RestrictedViewSetMixin, viewsets.ModelViewSet):
    pass


class RestrictedReadOnlyViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


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
