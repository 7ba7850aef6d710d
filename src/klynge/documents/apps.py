from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "klynge.documents"
    label = "documents"
