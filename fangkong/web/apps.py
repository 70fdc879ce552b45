from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "fangkong.web"
    verbose_name = "网页"
