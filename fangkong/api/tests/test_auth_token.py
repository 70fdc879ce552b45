from django.conf import settings
from rest_framework.authtoken.models import Token

from fangkong.conftest import PASSWORD

URL = "/api/v1/auth/token/"


def test_password_gets_a_token_that_works_everywhere(api, triad):
    response = api().post(URL, {"username": "east_worker", "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    key = response.json()["token"]
    assert key == Token.objects.get(user=triad.inside).key
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    for url in ("/api/v1/people/", "/api/v1/households/", "/api/v1/units/"):
        assert client.get(url).status_code == 200


def test_form_post_works_too_and_the_token_is_stable(api, triad):
    first = api().post(URL, {"username": "east_worker", "password": PASSWORD}).json()["token"]
    assert api().post(URL, {"username": "east_worker", "password": PASSWORD}).json()["token"] == first


def test_wrong_password_is_400_with_a_chinese_message(api, triad):
    response = api().post(URL, {"username": "east_worker", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["用户名或密码不正确。"]}


def test_missing_fields_are_400(api, triad):
    assert api().post(URL, {"username": "east_worker"}, format="json").status_code == 400


def test_locked_account_is_told_so_even_with_the_right_password(api, triad):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert api().post(URL, {"username": "east_worker", "password": "wrong"}, format="json").status_code == 400
    locking = api().post(URL, {"username": "east_worker", "password": "wrong"}, format="json")
    assert locking.status_code == 403
    right = api().post(URL, {"username": "east_worker", "password": PASSWORD}, format="json")
    assert right.status_code == 403
    assert right.json()["detail"] == "登录失败次数过多，账号已被锁定，请30分钟后再试或联系管理员解锁。"
    assert not Token.objects.filter(user=triad.inside).exists()


def test_lock_is_per_account(api, triad):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        api().post(URL, {"username": "east_worker", "password": "wrong"}, format="json")
    assert api().post(URL, {"username": "west_worker", "password": PASSWORD}, format="json").status_code == 200


def test_bad_token_is_401(api, triad):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert client.get("/api/v1/people/").status_code == 401


def test_inactive_user_gets_no_token(api, triad):
    triad.inside.is_active = False
    triad.inside.save()
    assert api().post(URL, {"username": "east_worker", "password": PASSWORD}, format="json").status_code == 400
