"""Reading the links out of captured account mails."""

import re
from urllib.parse import parse_qs, urlsplit

from django.conf import settings

_URL = re.compile(r"https?://\S+")


def mail_link(message) -> str:
    """The one link of a mail's text body."""
    (link,) = _URL.findall(message.body)
    return link


def link_params(message, page: str) -> dict[str, str]:
    """{uid, token} of the front-end link to `page` in a mail."""
    link = mail_link(message)
    parts = urlsplit(link)
    assert link.startswith(f"{settings.FRONTEND_URL}/{page}?"), link
    return {key: values[0] for key, values in parse_qs(parts.query).items()}
