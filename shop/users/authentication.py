"""JWT authentication that looks the user up without compiling a query."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.settings import api_settings

from shop.users.models import User

_USER_BY_PK = (
    f"SELECT * FROM {User._meta.db_table} "  # noqa: S608
    f"WHERE {User._meta.pk.column} = %s"
)


class _RawUserManager:
    """Stands in for `User.objects` inside simplejwt's `get_user`."""

    DoesNotExist = User.DoesNotExist

    @staticmethod
    def get(**lookup):
        ((field, value),) = lookup.items()
        if field not in ("id", "pk"):
            return User.objects.get(**lookup)
        for user in User.objects.raw(_USER_BY_PK, [value]):
            return user
        raise User.DoesNotExist


class _UserModel:
    objects = _RawUserManager
    DoesNotExist = User.DoesNotExist


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's authentication, fetching the token's user by primary key.

    Every authenticated API request loads its user; `User.objects.get()`
    builds and compiles that SELECT each time, which costs more CPU than the
    database spends on it. `raw()` converts values exactly as the ORM does,
    and every check of simplejwt's `get_user` (inactive user, revoked token,
    unknown user) still runs, unchanged, on the user returned.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if api_settings.USER_ID_FIELD in ("id", "pk"):
            self.user_model = _UserModel


class JWTScheme(SimpleJWTScheme):
    """The same `jwtAuth` security scheme in the OpenAPI schema."""

    target_class = JWTAuthentication
