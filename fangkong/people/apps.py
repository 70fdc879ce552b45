from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "fangkong.people"
    verbose_name = "人员与家庭"
