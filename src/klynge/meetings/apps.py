from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "klynge.meetings"
    label = "meetings"

    def ready(self) -> None:
        from klynge.core.permissions import register_role_resolver
        from klynge.demo import dataset
        from klynge.meetings.demo import clear_meetings, generate_meetings
        from klynge.meetings.models import Meeting
        from klynge.meetings.selectors import user_meeting_roles

        register_role_resolver(Meeting, user_meeting_roles)
        dataset.register_extension("meetings", generate_meetings, clear_meetings)
