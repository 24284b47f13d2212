"""An AWS stand-in for the integration tests: moto in server mode.

The code under test talks HTTP to a real endpoint on loopback; only
AWS_ENDPOINT_URL and the credentials in the environment differ from AWS.
"""

import logging
import time
import uuid

import boto3
import pytest


@pytest.fixture(scope="session")
def aws_endpoint():
    from moto.server import ThreadedMotoServer

    patch = pytest.MonkeyPatch()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        patch.setenv(name, value)
    patch.delenv("AWS_PROFILE", raising=False)
    # The stand-in logs every request it serves; keep test output readable.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
    patch.undo()


@pytest.fixture
def aws(settings, aws_endpoint):
    """Point the project's AWS settings at the stand-in for one test."""
    settings.AWS_ENDPOINT_URL = aws_endpoint
    settings.AWS_REGION = "us-east-1"
    return aws_endpoint


def _client(service, endpoint):
    return boto3.client(service, region_name="us-east-1", endpoint_url=endpoint)


@pytest.fixture
def sqs(aws):
    return _client("sqs", aws)


@pytest.fixture
def sns(aws):
    return _client("sns", aws)


@pytest.fixture
def s3(aws):
    return _client("s3", aws)


@pytest.fixture
def queue_url(sqs):
    return sqs.create_queue(QueueName=f"orders-{uuid.uuid4().hex[:12]}")["QueueUrl"]


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
