from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "fangkong.api"
    verbose_name = "接口"
