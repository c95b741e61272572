"""One adapter from the services' errors to the API's answers, for every app's viewsets."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.settings import api_settings


def call_service(func, /, *args, domain_errors: tuple[type[Exception], ...] = (), **kwargs):
    """Run a service: a refused permission answers 403; a domain error or invalid input answers 400 with what
    is wrong, per field where the service said so, else under `non_field_errors` (always an object, as the
    schema says)."""
    try:
        return func(*args, **kwargs)
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from exc
    except domain_errors as exc:
        raise exceptions.ValidationError({"detail": str(exc)}) from exc
    except DjangoValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
        raise exceptions.ValidationError(errors) from exc
