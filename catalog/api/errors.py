"""One adapter from the services' errors to the API's answers, for every app's viewsets."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions


def call_service(func, /, *args, domain_errors: tuple[type[Exception], ...] = (), **kwargs):
    """Run a service: a refused permission answers 403; a domain error or invalid input answers 400 with what
    is wrong, per field where the service said so."""
    try:
        return func(*args, **kwargs)
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from exc
    except domain_errors as exc:
        raise exceptions.ValidationError({"detail": str(exc)}) from exc
    except DjangoValidationError as exc:
        raise exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc
