"""API of key-person control; each part registers its own viewsets."""


def register(router):
    from . import api_cases, api_followup, api_linelists, api_regimens

    for part in (api_regimens, api_cases, api_followup, api_linelists):
        part.register(router)
