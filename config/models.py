"""What the project records about API tokens besides DRF's own row: when each was last used, and under which
password it was issued (config.tokens)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TokenUse(models.Model):
    token = models.OneToOneField(
        "authtoken.Token", on_delete=models.CASCADE, primary_key=True, related_name="use", verbose_name=_("token")
    )
    last_used_at = models.DateTimeField(_("last used"))
    # The user's session hash (derived from the password hash) when the token was issued: a token stands for the
    # login that obtained it, so a new password ends it as it ends the sessions.
    password_hash = models.CharField(max_length=128, blank=True)

    class Meta:
        verbose_name = _("API token use")
        verbose_name_plural = _("API token uses")

    def __str__(self):
        return f"{self.token_id[-4:]}: {self.last_used_at:%Y-%m-%d %H:%M}"
