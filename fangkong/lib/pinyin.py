"""Pinyin initials for search: `zsf` finds 张三丰."""

import functools

from pypinyin import Style, lazy_pinyin


@functools.lru_cache(maxsize=65536)
def initials(name):
    """Lower-case first letters of each syllable; letters and digits in the name are kept."""
    if not name:
        return ""
    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors=lambda chars: list(chars))
    return "".join(part[:1] for part in letters if part and part[:1].isalnum()).lower()
