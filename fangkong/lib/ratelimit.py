"""A small rate limit for the public pages (self-declaration, the personal follow-up link),
counted in Django's cache."""

from django.core.cache import cache


def over_limit(key, limit, seconds):
    """Count one hit on `key`; True once more than `limit` hits fell in the window."""
    key = f"fangkong:rate:{key}"
    if cache.add(key, 1, seconds):
        return limit < 1
    try:
        return cache.incr(key) > limit
    except ValueError:  # the window expired between add and incr
        cache.add(key, 1, seconds)
        return limit < 1
