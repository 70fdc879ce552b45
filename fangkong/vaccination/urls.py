"""Pages of vaccination coverage."""

app_name = "vaccination"

urlpatterns = []
