"""API tokens: POST a user name and password, get the key for `Authorization: Token <key>`.

Login goes through django.contrib.auth.authenticate with the request, so django-axes counts
failures and refuses locked accounts here exactly as on the login page. Axes marks the
request it was given (DRF's), not Django's, so its middleware does not answer for us; a
locked account gets a 403 with a message that says so instead of "wrong password".
"""

from axes.helpers import get_cool_off
from django.contrib.auth import authenticate
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authtoken.views import ObtainAuthToken


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("用户名"), write_only=True)
    password = serializers.CharField(
        label=_("密码"), style={"input_type": "password"}, trim_whitespace=False, write_only=True
    )

    def validate(self, attrs):
        request = self.context["request"]
        user = authenticate(request=request, username=attrs["username"], password=attrs["password"])
        if getattr(request, "axes_locked_out", False):
            raise exceptions.PermissionDenied(locked_message(request))
        if user is None:
            raise serializers.ValidationError(_("用户名或密码不正确。"), code="authorization")
        attrs["user"] = user
        return attrs


def locked_message(request):
    cool_off = get_cool_off(request)
    if cool_off is None:
        return gettext("登录失败次数过多，账号已被锁定，请联系管理员解锁。")
    minutes = max(1, round(cool_off.total_seconds() / 60))
    return gettext("登录失败次数过多，账号已被锁定，请%(minutes)d分钟后再试或联系管理员解锁。") % {"minutes": minutes}


class ObtainTokenView(ObtainAuthToken):
    # A stale token or session on the caller must not stand in the way of getting a new token.
    authentication_classes = []
    serializer_class = TokenRequestSerializer

    @extend_schema(
        summary="取得接口令牌",
        responses={200: inline_serializer("Token", {"token": serializers.CharField()})},
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
