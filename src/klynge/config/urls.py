from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("klynge.core.urls")),
    path("", include("klynge.quality.urls")),
    path("", include("klynge.finance.urls")),
    path("", include("klynge.meetings.urls")),
    path("", include("klynge.governance.urls")),
    path("", include("klynge.accounts.urls")),
    path("", include("klynge.documents.urls")),
    path("", include("klynge.packages.urls")),
    path("", include("klynge.dataorders.urls")),
    path("", include("klynge.support.urls")),
    path("klynger/", include("klynge.registry.urls")),
    path("daekning/", include("klynge.overviews.urls")),
    path("api/", include("klynge.api.urls")),  # /api/v1/… and the docs page /api/docs/
    path("konto/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
