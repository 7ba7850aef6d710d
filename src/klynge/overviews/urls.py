app_name = "overviews"
urlpatterns: list = []
