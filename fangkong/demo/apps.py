from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "fangkong.demo"
    verbose_name = "演示数据"
