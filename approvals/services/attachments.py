"""Files attached to an application, judged by their bytes, not their names."""

import zipfile

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from catalog.models import User

from ..choices import ApplicationState as S
from ..models import Application, Attachment
from .common import ApplicationError, _require, is_applicant

ALLOWED_UPLOADS = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
}
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def sniff_upload(upload, name: str) -> str:
    """The content type of an upload, judged by its bytes, not its name; refuses what is not allowed."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED_UPLOADS:
        raise ValidationError(
            _("“%(name)s”: only PDF, images (PNG, JPEG) and office documents may be attached.") % {"name": name}
        )
    if not upload.size:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name})
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(_("“%(name)s” is larger than 10 MB.") % {"name": name})
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    looks = {
        "pdf": head.startswith(b"%PDF-"),
        "png": head.startswith(b"\x89PNG\r\n\x1a\n"),
        "jpg": head.startswith(b"\xff\xd8\xff"),
        "jpeg": head.startswith(b"\xff\xd8\xff"),
        "doc": head.startswith(b"\xd0\xcf\x11\xe0"),
        "xls": head.startswith(b"\xd0\xcf\x11\xe0"),
    }
    if extension in ("docx", "xlsx"):
        try:
            with zipfile.ZipFile(upload) as archive:
                ok = "[Content_Types].xml" in archive.namelist()
        except zipfile.BadZipFile:
            ok = False
        upload.seek(0)
    else:
        ok = looks[extension]
    if not ok:
        raise ValidationError(_("“%(name)s” is not really a .%(ext)s file.") % {"name": name, "ext": extension})
    return ALLOWED_UPLOADS[extension]


def attachment_add(*, application: Application, actor: User, upload) -> Attachment:
    _require(is_applicant(actor, application), _("Only the applying unit may attach files."))
    if application.state not in (S.DRAFT, S.SUBMITTED):
        raise ApplicationError(_("Files can only be attached before consultation starts."))
    content_type = sniff_upload(upload, upload.name)
    return Attachment.objects.create(
        application=application,
        file=upload,
        name=upload.name[:200],
        content_type=content_type,
        size=upload.size,
        uploaded_by=actor,
    )
