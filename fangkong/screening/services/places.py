"""Does a place someone visited lie in a place of concern?

A campaign names its places of concern as a grid worker would (湖北, 武汉市) or as division
code prefixes (4201); residents answer with names (武汉, 湖北省武汉市, 江汉区) or now and then a
code. Both sides are turned into division code prefixes with the national division code table
that python-stdnum ships (every code since 1980, renamed and merged ones included), so 湖北 also
matches an answer of 武汉 and 4201 one of 江汉区. An answer is read as a sequence of division
names, longest name first, so 长沙市 is not mistaken for 沙市; a name shared by several places
(鼓楼区) is narrowed by the name before it (福州鼓楼区) and otherwise counts for all of them.
A concern the table does not know (境外, a street) is matched as written.
"""

import functools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from stdnum import numdb

# Entries of the table that are not place names ("districts under the city", "county") or
# that name a part of many cities (东区, 新区).
_GENERIC = {"市辖区", "市区", "郊区", "县", "矿区", "城区", "林区", "新区", "东区", "西区", "南区", "北区", "中区"}
_YEARS = re.compile(r"^\[[^\]]*\]")
# Dropping these from a province or city name gives what people say: 湖北省 → 湖北.
_SUFFIX = re.compile(r"(维吾尔自治区|壮族自治区|回族自治区|特别行政区|自治区|地区|省|市|盟)$")
_SEPARATORS = re.compile(r"[\s,，、;；/]+")


def split_places(text):
    """'湖北、武汉\n4201' → ['湖北', '武汉', '4201']."""
    text = unicodedata.normalize("NFKC", text or "")
    return [part for part in _SEPARATORS.split(text) if part]


def _names(raw, with_short_form):
    """'[1983-1995]西区,[1996-]岳麓区' → ('岳麓区',): every name a division has borne."""
    names = []
    for part in raw.split(","):
        name = _YEARS.sub("", part)
        if len(name) < 2 or name in _GENERIC or "直辖" in name:
            continue
        names.append(name)
        short = _SUFFIX.sub("", name) if with_short_form else name
        if len(short) >= 2 and short != name:
            names.append(short)
    return names


def _prefix(code):
    """420000 → 42, 420100 → 4201, 420102 → 420102."""
    for zeros in ("0000", "00"):
        if code.endswith(zeros):
            return code[: -len(zeros)]
    return code


@functools.lru_cache(maxsize=1)
def _dictionary():
    """{name: code prefixes of the divisions that have borne it}, and the longest name's length."""
    names = defaultdict(set)
    for _length, province, _high, props, children in numdb.get("cn/loc").prefixes:
        for name in _names(props.get("province", ""), True):
            names[name].add(province)
        for _length2, rest, _high2, child_props, _children in children:
            # A province (xx0000) or a city (xxyy00) is also named with its suffix dropped.
            for name in _names(child_props.get("county", ""), rest.endswith("00")):
                names[name].add(_prefix(province + rest))
    return {name: frozenset(codes) for name, codes in names.items()}, max(map(len, names))


def place_prefixes(place):
    """The division code prefixes a visited place names ('福州鼓楼区' → {'3501', '350102'})."""
    if place.isdigit():
        return {place}
    dictionary, longest = _dictionary()
    found, context, i = set(), None, 0
    while i < len(place):
        for length in range(min(longest, len(place) - i), 1, -1):
            codes = dictionary.get(place[i : i + length])
            if codes:
                break
        else:
            i += 1
            continue
        if context:
            codes = {code for code in codes if code.startswith(tuple(context))} or codes
        found |= codes
        context = codes
        i += length
    return found


@dataclass(frozen=True)
class Concern:
    """One place of concern as the campaign wrote it, with the code prefixes it covers."""

    entry: str
    prefixes: tuple

    def matches(self, place, codes):
        if not self.prefixes:
            return self.entry in place
        return any(code.startswith(self.prefixes) for code in codes)


def concerns(text):
    """The campaign's places of concern ('湖北、4201' → concerns for 42 and 4201)."""
    dictionary, _longest = _dictionary()
    result = []
    for entry in split_places(text):
        prefixes = (entry,) if entry.isdigit() else tuple(sorted(dictionary.get(entry, ())))
        result.append(Concern(entry, prefixes))
    return result


def places_of_concern_visited(concern_list, places_text):
    """[(visited place, concern entry)] for each answered place that lies in a concern."""
    found = []
    for place in split_places(places_text):
        codes = place_prefixes(place)
        concern = next((c for c in concern_list if c.matches(place, codes)), None)
        if concern is not None:
            found.append((place, concern.entry))
    return found
