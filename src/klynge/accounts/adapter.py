from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created by registration of clusters and by staff, not by open
    sign-up, unless `KLYNGE_ALLOW_SIGNUP` is set."""

    def is_open_for_signup(self, request):
        return settings.ACCOUNT_ALLOW_REGISTRATION
