"""The testing API; one module per part registers its routes here."""

from . import api_chasing, api_coverage, api_lab, api_sampling


def register(router):
    for module in (api_sampling, api_lab, api_chasing, api_coverage):
        module.register(router)
