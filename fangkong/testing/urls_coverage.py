"""Pages of coverage (应检尽检): sampled of target, not yet sampled, exemptions, overdue key groups."""

urlpatterns = []
