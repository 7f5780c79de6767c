"""Serializer fields and a base ModelSerializer for our API: JSON types are part of the
contract.

DRF's CharField (and EmailField, URLField, SlugField, RegexField built on it) and
ChoiceField quietly turn numbers and booleans into strings, so ``{"name": 0}`` would be
stored as "0". Marquee's schema says "string", and a client sending a number has a bug
worth telling it about: our serializers use the strict fields below, which answer such
values with a 400 naming the field. DRF itself is left as it is (no patched classes), so
only our serializers, and the ones we subclass (login, refresh), are strict.
"""

import unicodedata

from rest_framework import serializers
from rest_framework_simplejwt.serializers import PasswordField

from core.money import AMOUNT_DIGITS, PLACES

# Characters no free text of ours may hold: the C0 and C1 controls and DEL (Unicode
# category Cc), and the two Unicode line separators. A name "Eve\r\nBcc: x@y" would
# otherwise print a forged-looking line in a plain-text email. Text a model keeps in a
# TextField (a movie's description) may still have line breaks and tabs.
_LINE_BREAKS = "\t\n\r"


def _forbidden_control(value: str, *, multiline: bool) -> bool:
    return any(
        (unicodedata.category(char) == "Cc" and not (multiline and char in _LINE_BREAKS))
        or char in "\u2028\u2029"
        for char in value
    )


class _StrictString:
    """A string field that takes a JSON string and nothing else, and no control
    characters (line breaks only where the model keeps multi-line text)."""

    control_characters_allowed = False
    default_error_messages = {
        "control_characters": "Control characters (such as line breaks) are not allowed here.",
    }

    def __init__(self, *args, **kwargs):
        # ModelSerializer gives a TextField's serializer field the textarea style; a
        # declared field says multiline=True.
        self.multiline = (
            kwargs.pop("multiline", False)
            or kwargs.get("style", {}).get("base_template") == "textarea.html"
        )
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        # Checked on what is kept: the whitespace DRF trims (a scanner's Tab or CR/LF
        # after a ticket code, a pasted name's newline) is no error.
        kept = data.strip() if getattr(self, "trim_whitespace", False) else data
        if not self.control_characters_allowed and _forbidden_control(
            kept, multiline=self.multiline
        ):
            self.fail("control_characters")
        return super().to_internal_value(data)


class StrictCharField(_StrictString, serializers.CharField):
    pass


class StrictEmailField(_StrictString, serializers.EmailField):
    pass


class StrictURLField(_StrictString, serializers.URLField):
    pass


class StrictSlugField(_StrictString, serializers.SlugField):
    pass


class StrictRegexField(_StrictString, serializers.RegexField):
    pass


class StrictPasswordField(_StrictString, PasswordField):
    control_characters_allowed = True  # a password is compared, never shown


class StrictChoiceField(serializers.ChoiceField):
    """A choice must arrive with its own JSON type: "6" is not 6, and true is not "1"."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or (
            not isinstance(data, str) and not any(type(key) is type(data) for key in self.choices)
        ):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class MoneyField(serializers.DecimalField):
    """An amount in the API (``core.money``): a string with two decimals, of at most
    ``max_digits`` digits (an amount's by default; ``PRICE_DIGITS`` for a price)."""

    def __init__(self, *, max_digits: int = AMOUNT_DIGITS, **kwargs):
        super().__init__(max_digits=max_digits, decimal_places=PLACES, **kwargs)


# A ModelSerializer whose generated string and choice fields are strict. (A comment, not
# a docstring: drf-spectacular would show a docstring as every subclass' description.)
class StrictModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        **{
            model_field: strict
            for model_field, field in serializers.ModelSerializer.serializer_field_mapping.items()
            for loose, strict in (
                (serializers.CharField, StrictCharField),
                (serializers.EmailField, StrictEmailField),
                (serializers.URLField, StrictURLField),
                (serializers.SlugField, StrictSlugField),
            )
            if field is loose
        },
    }
    serializer_choice_field = StrictChoiceField
