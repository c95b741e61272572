from .models import Notification


def inbox(request):
    """The unread count in the header (one query, and only for signed-in users)."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    return {"unread_count": Notification.objects.filter(recipient=user, read_at__isnull=True).count()}
