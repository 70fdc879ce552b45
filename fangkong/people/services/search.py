"""Finding people by what a grid worker remembers: a name, pinyin initials (`zsf` finds
张三丰), or the tail of an ID or phone number."""

import re

from django.db.models import Q

from fangkong.lib.idnumbers import normalise

_INITIALS = re.compile(r"^[a-z]{2,}$")
_TAIL = re.compile(r"^[0-9]{4,}[xX]?$")


def person_query(text):
    """A Q object over Person for the search box text; None when the text is blank."""
    text = normalise(text) if text else ""
    if not text:
        return None
    query = Q(name__contains=text)
    if _INITIALS.match(text.lower()):
        query |= Q(name_initials__startswith=text.lower())
    if _TAIL.match(text):
        query |= Q(id_number__endswith=text.upper()) | Q(phone__endswith=text)
    return query


def search_persons(queryset, text):
    query = person_query(text)
    return queryset if query is None else queryset.filter(query)
