app_name = "screening"
urlpatterns = []
