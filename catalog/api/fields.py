"""Serializer fields for ids that name objects in the caller's scope, and fields built once per serializer."""

import copy

from django.utils.translation import get_language
from rest_framework import serializers

from ..ids import parse_id


class InScopeIdField(serializers.IntegerField):
    """The id of an object in the caller's scope that the service it is given to looks up itself, in the query
    that locks it (funding.services.payment_record). A value that is not written as an id is read as None, which
    the service answers as it answers an id out of scope (404, the same words, at the same point: after the
    other fields' errors): no answer tells which ids exist (a 400 "object does not exist" against a 404 was an
    existence oracle once)."""

    def to_internal_value(self, data):
        return parse_id(data if isinstance(data, int | str) else None) or None


class FieldsBuiltOnce:
    """For a ModelSerializer whose fields depend on nothing but its class: they are built from the model once,
    not on every instance (DRF introspects the model's fields for every serializer it makes: a tenth of a
    payment's time). Each instance gets its own copy, as DRF copies the declared fields, for a field is bound to
    the serializer it belongs to."""

    def get_fields(self):
        built = type(self).__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            type(self)._fields_built_once = built
        return copy.deepcopy(built)


class FieldsBoundOnce:
    """For a plain Serializer that only validates a request's parameters (no instance, no context, never
    partial): its fields are built and bound once per class and language, and shared by every instance. DRF copies
    and binds every declared field for each serializer it makes (a tenth of the check's own work); a bound field
    keeps no state of a validation, and what it asks of its parent (`partial`, `context`) is the same for every
    instance of such a serializer. Per language: a bound-checking validator writes its message once (DRF's
    `lazy_format`), in the language of its first error."""

    @property
    def fields(self):
        cls = type(self)
        if "_fields_bound_once" not in cls.__dict__:
            cls._fields_bound_once = {}
        language = get_language()
        bound = cls._fields_bound_once.get(language)
        if bound is None:
            prototype = serializers.Serializer.__new__(cls)
            serializers.Serializer.__init__(prototype)
            bound = cls._fields_bound_once[language] = serializers.Serializer.fields.func(prototype)  # DRF's own
        return bound
