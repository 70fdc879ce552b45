from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "fangkong.screening"
    verbose_name = "入户摸排"
