from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "klynge.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_logged_in, dispatch_uid="klynge.accounts.handovers")


def _logged_in(sender, request, user, **kwargs) -> None:
    """A doctor who logs in (e.g. by a one-time code) can now run the cluster: hand over
    the roles waiting for them."""
    from django.db import transaction

    from klynge.accounts.models import Handover
    from klynge.accounts.services import handovers_complete_for

    doctor = getattr(user, "doctor", None)
    if (
        doctor is not None
        and Handover.objects.filter(doctor=doctor, completed__isnull=True).exists()
    ):
        with transaction.atomic():
            handovers_complete_for(doctor=doctor, actor=user)
