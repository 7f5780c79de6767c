from datetime import UTC, datetime

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from core.serializers import (
    StrictCharField,
    StrictChoiceField,
    StrictEmailField,
    StrictModelSerializer,
    StrictPasswordField,
)
from users.models import USERNAME_TAKEN, Role, User, fold_username


class UserSerializer(StrictModelSerializer):
    """A user as the API shows it. ``role`` is only changed by an ADMIN, elsewhere."""

    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name", "role", "date_joined"]
        read_only_fields = ["id", "username", "role", "date_joined"]


def _password_policy() -> tuple[int, str]:
    """The shortest password the validators accept, and their rules in words, for the
    schema and the README (AUTH_PASSWORD_VALIDATORS is the one source)."""
    validators = password_validation.get_default_password_validators()
    shortest = max(
        (getattr(v, "min_length", 1) for v in validators),
        default=1,
    )
    rules = " ".join(password_validation.password_validators_help_texts(validators))
    return shortest, rules


PASSWORD_MIN_LENGTH, PASSWORD_RULES = _password_policy()


# The policy in the schema; the server checks it in validate_password, so that a short
# password hears every rule it breaks at once (a field minLength would stop at the first).
@extend_schema_field(
    {
        "type": "string",
        "minLength": PASSWORD_MIN_LENGTH,
        "description": f"The password policy: {PASSWORD_RULES}",
    }
)
class NewPasswordField(StrictCharField):
    control_characters_allowed = True  # a password is compared, never shown


class UserRegisterSerializer(StrictModelSerializer):
    """Sign-up. Only these fields are read: a ``role`` or ``is_staff`` in the body is
    ignored, so every new account is a CUSTOMER. Every field error, the password's rules
    included, comes in one answer."""

    password = NewPasswordField(write_only=True, style={"input_type": "password"})
    email = StrictEmailField()

    class Meta:
        model = User
        fields = ["username", "email", "password", "first_name", "last_name"]

    def validate_username(self, value):
        # Logins find accounts by the folded name (users.models.fold_username), so a
        # name that folds like an existing one would be a second door to that account.
        if User.objects.filter(username_fold=fold_username(value)).exists():
            raise serializers.ValidationError(USERNAME_TAKEN)
        return value

    def validate_email(self, value):
        if not value:
            return None
        value = User.objects.normalize_email(value)
        if User.objects.filter(email__iexact=value).exists():
            raise serializers.ValidationError("A user with that email already exists.")
        return value

    def validate_password(self, value):
        # A field validator, so that the password's rules are answered together with
        # every other field's errors. The similarity rule compares with the other
        # fields as they were sent.
        data = self.initial_data if isinstance(self.initial_data, dict) else {}
        candidate = User(
            **{
                name: data[name]
                for name in ("username", "email", "first_name", "last_name")
                if isinstance(data.get(name), str)
            }
        )
        try:
            password_validation.validate_password(value, user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from exc
        return value


class CompatSignupSerializer(UserRegisterSerializer):
    """The compatibility sign-up (``/api/signup/``): the API Marquee replaces took a
    username and a password only, so the email may be left out (or empty)."""

    email = StrictEmailField(required=False, allow_blank=True)


class UserMeUpdateSerializer(StrictModelSerializer):
    class Meta:
        model = User
        fields = ["email", "first_name", "last_name"]

    def validate_email(self, value):
        value = User.objects.normalize_email(value)
        others = User.objects.filter(email__iexact=value).exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError("A user with that email already exists.")
        return value


class UserRoleUpdateSerializer(serializers.Serializer):
    role = StrictChoiceField(choices=Role.choices)


class LogoutSerializer(serializers.Serializer):
    refresh = StrictCharField()


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(read_only=True)
    refresh = serializers.CharField(read_only=True)


# simplejwt's login with strict strings: a number as the username or password is a 400
# naming the field, as everywhere else in the API. Named as simplejwt's own in the schema.
@extend_schema_serializer(component_name="TokenObtainPair")
class LoginSerializer(TokenObtainPairSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[self.username_field] = StrictCharField(write_only=True)
        self.fields["password"] = StrictPasswordField()


class RaceFreeTokenRefreshSerializer(TokenRefreshSerializer):
    """Refresh with rotation where one refresh token yields exactly one new pair.

    The stock serializer checks the blacklist, then blacklists: two requests carrying the
    same token can both pass the check. Here the blacklist row is inserted first, inside
    a transaction; its unique key lets exactly one request through and every other one
    fails with an IntegrityError, answered 401.
    """

    refresh = StrictCharField()

    def validate(self, attrs):
        try:
            old = RefreshToken(attrs["refresh"])
        except TokenError as exc:
            raise InvalidToken(str(exc)) from exc

        user_id = old.payload.get(jwt_settings.USER_ID_CLAIM)
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            raise InvalidToken("The token's user does not exist or is inactive.")

        try:
            with transaction.atomic():
                outstanding, _ = OutstandingToken.objects.get_or_create(
                    jti=old[jwt_settings.JTI_CLAIM],
                    defaults={
                        "user": user,
                        "token": str(old),
                        "created_at": old.current_time,
                        "expires_at": datetime.fromtimestamp(old["exp"], tz=UTC),
                    },
                )
                BlacklistedToken.objects.create(token=outstanding)
        except IntegrityError as exc:
            raise InvalidToken("Token is blacklisted") from exc

        new = RefreshToken.for_user(user)
        return {"access": str(new.access_token), "refresh": str(new)}
