import factory

from users.models import Role, User

DEFAULT_PASSWORD = "Correct-Horse-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"customer{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.CUSTOMER
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class AdminFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    role = Role.ADMIN


class CashierFactory(UserFactory):
    username = factory.Sequence(lambda n: f"cashier{n}")
    role = Role.CASHIER


class UsherFactory(UserFactory):
    username = factory.Sequence(lambda n: f"usher{n}")
    role = Role.USHER
