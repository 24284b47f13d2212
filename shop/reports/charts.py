"""The sales chart of the admin Reports page, drawn as inline SVG."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from shop.reports.queries import SalesRow


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    title: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class XLabel:
    x: float
    label: str


@dataclass(frozen=True)
class SalesChart:
    width: int
    height: int
    plot_left: int
    plot_bottom: int
    plot_right: int
    bars: list[Bar]
    ticks: list[Tick]
    x_labels: list[XLabel]
    total_revenue: Decimal
    total_orders: int


def _nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above value."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    for step in (1, 2, Decimal("2.5"), 5, 10):
        candidate = Decimal(step).scaleb(exponent)
        if candidate >= value:
            return candidate
    return Decimal(10).scaleb(exponent)


def _period_label(period: dt.date, group_by: str) -> str:
    if group_by == "month":
        return period.strftime("%b %Y")
    return period.strftime("%d %b")


def sales_chart(rows: list[SalesRow], group_by: str) -> SalesChart:
    """Geometry of a revenue bar chart, drawn by the template as inline SVG."""
    width, height = 900, 260
    left, right, top, bottom = 70, 890, 12, 220
    plot_w, plot_h = right - left, bottom - top
    peak = _nice_ceiling(max((r.revenue for r in rows), default=Decimal(0)))
    slot = plot_w / max(len(rows), 1)
    bar_w = min(max(slot * 0.8, 1.0), 60.0)
    bars = []
    for i, row in enumerate(rows):
        h = float(row.revenue / peak) * plot_h if peak else 0.0
        label = _period_label(row.period, group_by)
        bars.append(
            Bar(
                x=round(left + i * slot + (slot - bar_w) / 2, 2),
                y=round(bottom - h, 2),
                width=round(bar_w, 2),
                height=round(h, 2),
                label=label,
                title=f"{row.period.isoformat()}: {row.revenue} "
                f"({row.orders} orders, {row.units} units)",
            )
        )
    ticks = [
        Tick(y=round(bottom - plot_h * i / 4, 2), label=f"{peak * i / 4:,.0f}")
        for i in range(5)
    ]
    every = max(1, -(-len(rows) // 12))  # at most about 12 labels
    x_labels = [
        XLabel(x=round(b.x + b.width / 2, 2), label=b.label)
        for i, b in enumerate(bars)
        if i % every == 0
    ]
    return SalesChart(
        width=width,
        height=height,
        plot_left=left,
        plot_bottom=bottom,
        plot_right=right,
        bars=bars,
        ticks=ticks,
        x_labels=x_labels,
        total_revenue=sum((r.revenue for r in rows), Decimal("0.00")),
        total_orders=sum(r.orders for r in rows),
    )
