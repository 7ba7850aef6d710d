from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "klynge.meetings"
    label = "meetings"

    def ready(self) -> None:
        from klynge.core.permissions import register_role_resolver
        from klynge.meetings.models import Meeting
        from klynge.meetings.selectors import user_meeting_roles

        register_role_resolver(Meeting, user_meeting_roles)
