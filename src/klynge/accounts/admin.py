from django.contrib import admin

from klynge.accounts.models import User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "is_secretariat", "region", "is_staff"]
    list_filter = ["is_secretariat", "region", "is_staff"]
    search_fields = ["email", "name"]
