"""The reports API: forms, filings, the daily report, completeness, situation reports. One
module per part registers its routes here."""

from . import api_daily, api_filing, api_situation


def register(router):
    for module in (api_filing, api_daily, api_situation):
        module.register(router)
