"""Make the project's shared fixtures available to the tests under tests/."""

from shop.conftest import (  # noqa: F401
    _clear_cache,
    _throttle_clock,
    api_client,
    customer,
    customer_client,
    is_postgres,
    other_customer,
    staff,
    staff_client,
)
