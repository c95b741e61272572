"""One adapter from the services' errors to the API's answers, for every app's viewsets."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.settings import api_settings

from ..transitions import StateConflict


class Conflict(exceptions.APIException):
    """409: the object changed under the request (another reviewer decided first, a ballot was already cast)."""

    status_code = 409
    default_detail = _("The object was changed by someone else first; reload it.")
    default_code = "conflict"


def call_service(
    func,
    /,
    *args,
    domain_errors: tuple[type[Exception], ...] = (),
    conflicts: tuple[type[Exception], ...] = (),
    not_found: tuple[type[Exception], ...] = (),
    **kwargs,
):
    """Run a service: a refused permission answers 403; an object the caller may not reach (`not_found`) 404 with
    the service's words; a conflict with the object's current state 409 with what happened; a domain error or
    invalid input 400 with what is wrong, per field where the service said so, else under `non_field_errors`
    (always an object, as the schema says)."""
    try:
        return func(*args, **kwargs)
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from exc
    except not_found as exc:
        raise exceptions.NotFound(str(exc)) from exc
    except (StateConflict, *conflicts) as exc:
        raise Conflict(str(exc)) from exc
    except domain_errors as exc:
        raise exceptions.ValidationError({"detail": str(exc)}) from exc
    except DjangoValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
        raise exceptions.ValidationError(errors) from exc
