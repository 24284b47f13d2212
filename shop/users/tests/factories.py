import factory
from django.utils import timezone

from shop.users.models import User
from shop.users.services import shop_staff_group_sync

DEFAULT_PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    username = factory.Sequence(lambda n: f"customer{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(DEFAULT_PASSWORD)
    is_active = True
    # Verified, as accounts older than verification are; pass None for a
    # fresh unverified one.
    email_verified_at = factory.LazyFunction(timezone.now)

    class Meta:
        model = User
        skip_postgeneration_save = True


class StaffFactory(UserFactory):
    email = factory.Sequence(lambda n: f"staff{n}@example.com")
    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True

    @factory.post_generation
    def shop_staff_group(obj, create, extracted, **kwargs):
        if create:
            obj.groups.add(shop_staff_group_sync())


class AdminFactory(UserFactory):
    email = factory.Sequence(lambda n: f"admin{n}@example.com")
    username = factory.Sequence(lambda n: f"admin{n}")
    is_staff = True
    is_superuser = True
