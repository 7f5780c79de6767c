"""JSON types are part of the contract: a string field takes a JSON string.

DRF's CharField (and its subclasses EmailField, URLField, SlugField, RegexField) and
ChoiceField quietly turn numbers and booleans into strings, so ``{"name": 0}`` would be
stored as "0". Marquee's schema says "string", and a client sending a number has a bug
worth telling it about: such values are a 400 naming the field. Installed once at start-up
(``users.apps.UsersConfig.ready``) so every serializer, ours and the libraries', agrees.
"""

from rest_framework import fields

_installed = False


def _strict_char_to_internal_value(original):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return original(self, data)

    return to_internal_value


def _strict_choice_to_internal_value(original):
    def to_internal_value(self, data):
        if isinstance(data, bool) or (
            not isinstance(data, str) and not any(type(key) is type(data) for key in self.choices)
        ):
            self.fail("invalid_choice", input=data)
        return original(self, data)

    return to_internal_value


def install() -> None:
    global _installed
    if _installed:
        return
    fields.CharField.to_internal_value = _strict_char_to_internal_value(
        fields.CharField.to_internal_value
    )
    fields.ChoiceField.to_internal_value = _strict_choice_to_internal_value(
        fields.ChoiceField.to_internal_value
    )
    _installed = True
