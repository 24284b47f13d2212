"""Which side effects an event has: a registry of handlers per event type.

Apps register handlers when they load (`AppConfig.ready`): orders its
customer mails, the outbox itself publication. `event_record` asks the
registry which handlers apply and records one `Delivery` per handler.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass

from .models import Delivery, OutboxEvent

Run = Callable[[Delivery], None]


@dataclass(frozen=True)
class Handler:
    name: str
    run: Run
    # None: every event type.
    event_types: frozenset[str] | None = None
    # Decides at recording time whether this event needs the side effect.
    applies: Callable[[OutboxEvent], bool] | None = None
    # Wait while an earlier event of the same aggregate still has this
    # handler's delivery pending or failed (publication keeps order).
    ordered: bool = False

    def wants(self, event: OutboxEvent) -> bool:
        if self.event_types is not None and event.type not in self.event_types:
            return False
        return self.applies is None or self.applies(event)


_handlers: dict[str, Handler] = {}


def handler_register(
    name: str,
    *,
    event_types: Collection | None = None,
    applies: Callable[[OutboxEvent], bool] | None = None,
    ordered: bool = False,
) -> Callable[[Run], Run]:
    """Register `run` as handler `name`; the name is stored on deliveries."""

    def decorator(run: Run) -> Run:
        existing = _handlers.get(name)
        if existing is not None and existing.run is not run:
            raise ValueError(f"outbox handler {name!r} is registered twice")
        _handlers[name] = Handler(
            name=name,
            run=run,
            event_types=None if event_types is None else frozenset(event_types),
            applies=applies,
            ordered=ordered,
        )
        return run

    return decorator


def handlers_for(event: OutboxEvent) -> list[Handler]:
    return [handler for handler in _handlers.values() if handler.wants(event)]


def handler_get(name: str) -> Handler | None:
    return _handlers.get(name)


def handler_names() -> list[str]:
    return sorted(_handlers)
