from django.contrib import admin

from .models import Application, ApplicationEvent, Ballot, Batch, CalendarDay, CalendarYear


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """An administrator adds a year here once the State Council publishes its holiday schedule."""

    list_display = ["year", "source", "note"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_working_day", "name"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"
    search_fields = ["name"]


class BallotInline(admin.TabularInline):
    model = Ballot
    extra = 0
    can_delete = False
    readonly_fields = ["unit", "deadline", "vote", "comment", "voted_by", "voted_at"]


class EventInline(admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_state", "to_state", "actor", "at", "note"]


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Read-only: applications change state only through the gate's actions, which record who and why."""

    list_display = ["id", "title", "applicant_unit", "state", "is_urgent", "batch", "submitted_at"]
    list_filter = ["state", "is_urgent", "district"]
    search_fields = ["title"]
    list_select_related = ["applicant_unit", "batch__district"]
    inlines = [BallotInline, EventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["__str__", "state", "intake_closes", "consultation_ends", "committee_meets"]
    list_filter = ["state", "district"]
    readonly_fields = ["state"]
