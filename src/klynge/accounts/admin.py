"""The admin for users and API tokens, and the admin's login sent to the site's own.

**One front door.** Django's admin has a login form of its own that knows nothing of
two-factor login (allauth MFA) or allauth's rate limits: a password there would be a
way round both. So the admin's login view is replaced by a redirect to the site's
login (`account_login`), which carries the `next` address back to the admin; the admin
itself still requires `is_staff` after that.

Users are created with Django's `UserAdmin` forms (password entered twice, validated
and stored hashed), never as plain model fields.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from klynge.accounts.models import ApiToken, User


def admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """The admin's login: always the site's login (two-factor, rate limits), then back."""
    target = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    return redirect_to_login(target or reverse("admin:index"), login_url=reverse("account_login"))


admin.site.login = admin_login  # type: ignore[method-assign]


class UserCreationForm(AdminUserCreationForm):
    """E-mail and name, the password twice (validated, stored hashed)."""

    class Meta:
        model = User
        fields = ("email", "name")

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("A user with this e-mail already exists."))
        return email


class UserChangeForm(DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("name", "region", "is_secretariat")}),
        (
            _("Admin access"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("email", "name", "is_secretariat", "region", "is_staff")
    list_filter = ("is_secretariat", "region", "is_staff", "is_active")
    search_fields = ("email", "name")
    ordering = ("email",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are listed by their prefix only (the key itself is never stored) and can
    be revoked here; they are created with `manage.py api_token_create`."""

    list_display = ("prefix", "name", "user", "created", "last_used", "revoked")
    list_filter = ("revoked",)
    search_fields = ("prefix", "name", "user__email")
    readonly_fields = ("user", "name", "prefix", "created", "last_used", "revoked")
    exclude = ("key_hash",)
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        queryset.filter(revoked__isnull=True).update(revoked=timezone.now())
