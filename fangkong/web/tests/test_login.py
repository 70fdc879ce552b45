from django.urls import reverse

from fangkong.conftest import PASSWORD


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_pages_need_login(client, triad):
    for name in ["home", "unit_tree", "person_list", "household_list", "ledger_import"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_login_with_password_reaches_home(client, triad):
    response = login(client, "east_worker", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert "辖区概况" in client.get(reverse("home")).content.decode()


def test_wrong_password_shows_chinese_error(client, triad):
    response = login(client, "east_worker", "not-the-password")
    assert response.status_code == 200
    assert "请输入一个正确的用户名和密码" in response.content.decode()


def test_five_failures_lock_the_account_even_for_the_right_password(client, triad):
    for _attempt in range(4):
        assert login(client, "east_worker", "wrong-password-x").status_code == 200
    locked = login(client, "east_worker", "wrong-password-x")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "账号已锁定" in page and "30 分钟" in page
    assert login(client, "east_worker", PASSWORD).status_code == 429
    # The lock is by user name: another account on the same address still logs in.
    assert login(client, "west_worker", PASSWORD).status_code == 302


def test_logout_is_a_post(client, triad):
    login(client, "east_worker", PASSWORD)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_a_user_without_a_role_may_not_read_the_lists(client, db, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x-Very-long-pass")
    client.force_login(nobody)
    assert "您尚未在任何单位任职" in client.get(reverse("home")).content.decode()
    for name in ["unit_tree", "person_list", "household_list", "ledger_import", "person_export"]:
        assert client.get(reverse(name)).status_code == 403


def test_superuser_reaches_the_admin_and_sees_the_whole_tree(client, triad, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x-Very-long-pass")
    client.force_login(admin)
    assert client.get("/admin/").status_code == 200
    assert [u.name for u in client.get(reverse("unit_tree")).context["units"]] == ["示范县"]
