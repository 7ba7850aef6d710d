from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created by registration of clusters and by staff, not by open
    sign-up, unless `KLYNGE_ALLOW_SIGNUP` is set."""

    def is_open_for_signup(self, request):
        return settings.ACCOUNT_ALLOW_REGISTRATION

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """Failed logins count per account *and* address (ACCOUNT_RATE_LIMITS'
        `login_failed` key): a doctor mistyping at a clinic's shared address locks out
        no colleague there, and a stranger elsewhere cannot lock a doctor out. Each
        address as a whole has its own, looser limit. The counts live in the cache,
        shared by every process in production (Redis; `check --deploy` says so)."""
        account = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{account}|{self.get_client_ip(request)}"

    def render_mail(self, template_prefix, email, context, headers=None):
        """Login codes and other account mail as plain text and accessible HTML, like
        every e-mail Klynge sends (`klynge.core.mail`)."""
        from django.core.mail import EmailMultiAlternatives

        from klynge.core.mail import add_html_part

        message = super().render_mail(template_prefix, email, context, headers)
        if isinstance(message, EmailMultiAlternatives):
            add_html_part(message)
        return message
