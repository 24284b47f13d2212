# The AWS stand-in (moto in server mode) of the platform tests, for the S3
# product image tests.
from shop.core.tests.conftest import aws, aws_endpoint, s3  # noqa: F401
