from django.conf import settings


def navigation(request):
    return {"KLYNGE_DEBUG": settings.DEBUG}
