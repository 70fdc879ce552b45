"""Rules kept as versioned data (report forms, testing frequencies): rows with a `code`, a
`version` and the dates a version is effective."""

from django.db import models


class VersionedQuerySet(models.QuerySet):
    def in_force(self, on_date):
        """The versions in force on a date: for each code, the latest version effective by then."""
        candidates = self.filter(effective_from__lte=on_date).filter(
            models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=on_date)
        )
        latest = candidates.filter(code=models.OuterRef("code")).order_by("-version").values("pk")[:1]
        return candidates.filter(pk=models.Subquery(latest))
