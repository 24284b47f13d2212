"""Assertions and helpers shared by the API tests of every app."""

import time
from contextlib import contextmanager

from django.db import connections

ERROR_KEYS = {"code", "message", "extra"}


def assert_error(response, status: int, code: str | None = None) -> dict:
    """Check an error response has `status`, a JSON body of the one shape, `code`."""
    assert response.status_code == status, (response.status_code, response.content)
    assert response["Content-Type"].startswith("application/json"), response[
        "Content-Type"
    ]
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["extra"], dict)
    if code is not None:
        assert body["code"] == code, body
    return body


@contextmanager
def database_unreachable(tmp_path):
    """Point the default connection at a database that cannot be reached.

    A real failure, not a mock: SQLite is pointed at a file in a directory
    that does not exist, PostgreSQL at a closed port. Needs a
    `django_db(transaction=True)` test, since the connection is closed.
    """
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = str(tmp_path / "missing" / "db.sqlite3")
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=1)
    connection.close()
    try:
        yield
    finally:
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
        connection.close()


def receive_all(sqs, queue_url: str, expected: int) -> list[dict]:
    """Read messages until `expected` arrived or the queue stays empty."""
    messages: list[dict] = []
    for _ in range(20):
        batch = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=0,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
        ).get("Messages", [])
        if not batch and len(messages) >= expected:
            break
        for message in batch:
            messages.append(message)
            sqs.delete_message(
                QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"]
            )
        if not batch and len(messages) < expected:
            time.sleep(0.05)
    return messages
