"""API of coverage (应检尽检)."""


def register(router):
    """Routes of coverage, exemptions and key groups."""
