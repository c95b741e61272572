from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from .models import CatalogueItem, CatalogueVersion, DistrictPolicy, Notification, Unit, User, WorkerHeartbeat


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "parent", "district", "city"]
    list_filter = ["kind", "city"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent", "district", "city"]


@admin.register(DistrictPolicy)
class DistrictPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "district",
        "pass_threshold_percent",
        "pass_rate_basis",
        "first_batch_month",
        "second_batch_month",
        "expedited_notice_working_days",
    ]
    list_select_related = ["district"]


class _CredentialInline(admin.TabularInline):
    """A login's credentials, on its user's page: an administrator sees them and revokes one by deleting it."""

    extra = 0
    can_delete = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ApiTokenInline(_CredentialInline):
    model = Token
    fields = readonly_fields = ["created"]
    verbose_name = _("API token")
    verbose_name_plural = _("API tokens (delete to revoke)")


class TwoFactorDeviceInline(_CredentialInline):
    model = TOTPDevice
    fields = readonly_fields = ["name", "confirmed", "last_used_at"]
    verbose_name = _("two-factor device")
    verbose_name_plural = _("two-factor devices (delete to make the user enrol again)")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [ApiTokenInline, TwoFactorDeviceInline]
    list_display = ["username", "first_name", "last_name", "role", "unit", "is_active"]
    list_filter = ["role", "is_active", "unit__city"]
    autocomplete_fields = ["unit"]
    list_select_related = ["unit"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Unit and role"), {"fields": ("unit", "role")}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("Unit and role"), {"fields": ("unit", "role")}))


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "beat_at"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "created_at", "read_at"]
    list_select_related = ["recipient"]
    search_fields = ["subject", "recipient__username"]


class CatalogueItemInline(admin.TabularInline):
    model = CatalogueItem
    extra = 0
    fields = ["code", "list", "type", "title"]
    readonly_fields = fields
    can_delete = False
    show_change_link = False


@admin.register(CatalogueVersion)
class CatalogueVersionAdmin(admin.ModelAdmin):
    """Read-only here: drafts are edited and published on the catalogue pages, which keep the rules."""

    list_display = ["__str__", "state", "effective_from", "published_at"]
    list_filter = ["state", "district"]
    inlines = [CatalogueItemInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
