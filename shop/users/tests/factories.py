import factory

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
