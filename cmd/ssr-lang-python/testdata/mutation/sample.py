"""A small inventory and scheduling library, written to exercise every mutation operator.

It is plain Python 3.11: classes, nested functions, decorators, generators, async code, comprehensions,
pattern matching, f-strings and the odd one-liner.
"""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import functools
import heapq
from collections import defaultdict
from typing import Iterable, Iterator, Optional

MAX_ITEMS = 0x400
DEFAULT_PRIORITY = 5
FLAGS = 0b1010 | 0o17
_cache: dict[str, int] = {}
counter = 0


class InventoryError(Exception):
    """Raised when an inventory operation cannot be carried out."""


@dataclasses.dataclass(order=True)
class Item:
    name: str
    quantity: int = 0
    price: float = 0.0
    tags: tuple[str, ...] = ()

    def total(self) -> float:
        return self.quantity * self.price

    def is_available(self) -> bool:
        return self.quantity > 0 and not self.name.startswith("_")

    def describe(self, currency: str = "EUR") -> str:
        """One line for humans."""
        label = f"{self.name} x{self.quantity} @ {self.price:.2f} {currency}"
        if self.tags:
            label += " [" + ", ".join(self.tags) + "]"
        return label


class Inventory:
    """A bag of items keyed by name."""

    def __init__(self, limit: int = MAX_ITEMS) -> None:
        self.items: dict[str, Item] = {}
        self.limit = limit
        self.log: list[str] = []

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, name: object) -> bool:
        return name in self.items

    def add(self, name: str, quantity: int = 1, price: float = 0.0) -> Item:
        if quantity <= 0:
            raise InventoryError(f"quantity must be positive, got {quantity}")
        if name not in self.items and len(self.items) >= self.limit:
            raise InventoryError("inventory is full")
        item = self.items.get(name)
        if item is None:
            item = Item(name, 0, price)
            self.items[name] = item
        item.quantity += quantity
        if price != 0.0:
            item.price = price
        self.log.append("add %s %d" % (name, quantity))
        return item

    def remove(self, name: str, quantity: int = 1) -> int:
        item = self.items.get(name)
        if item is None:
            raise KeyError(name)
        if quantity > item.quantity:
            quantity = item.quantity
        item.quantity -= quantity
        if item.quantity == 0:
            del self.items[name]
        self.log.append(f"remove {name} {quantity}")
        return quantity

    def value(self) -> float:
        total = 0.0
        for item in self.items.values():
            total = total + item.total()
        return round(total, 2)

    def cheapest(self, n: int = 3) -> list[Item]:
        return heapq.nsmallest(n, self.items.values(), key=lambda it: it.price)

    def by_tag(self) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = defaultdict(list)
        for item in self.items.values():
            for tag in item.tags:
                groups[tag].append(item.name)
        return {k: sorted(v) for k, v in groups.items() if len(v) > 1 or k != "misc"}

    def restock(self, threshold: int, amount: int) -> list[str]:
        restocked = []
        for name, item in sorted(self.items.items()):
            if item.quantity < threshold:
                item.quantity = item.quantity + amount
                restocked.append(name)
            elif item.quantity == threshold:
                continue
            else:
                pass
        return restocked

    @property
    def empty(self) -> bool:
        return not self.items

    @staticmethod
    def parse_line(line: str) -> tuple[str, int]:
        name, _, qty = line.partition("=")
        return name.strip(), int(qty or 1)

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> "Inventory":
        inv = cls()
        for line in lines:
            if not line.strip() or line.startswith("#"):
                continue
            name, qty = cls.parse_line(line)
            inv.add(name, qty)
        return inv


def binary_search(values: list[int], target: int) -> int:
    lo, hi = 0, len(values) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if values[mid] == target:
            return mid
        elif values[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1


def insertion_point(values: list[int], target: int) -> int:
    return bisect.bisect_left(values, target, 0, len(values))


def clamp(value: float, low: float, high: float) -> float:
    if low > high:
        low, high = high, low
    return max(low, min(value, high))


def mean(values: Iterable[float]) -> Optional[float]:
    total, count = 0.0, 0
    for v in values:
        total += v
        count += 1
    if count == 0:
        return None
    return total / count


def percent(part: int, whole: int) -> float:
    return 100 * part / whole if whole else 0.0


def gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return abs(a)


def power_mod(base: int, exp: int, mod: int) -> int:
    result = 1
    base %= mod
    while exp > 0:
        if exp & 1:
            result = result * base % mod
        exp >>= 1
        base = base ** 2 % mod
    return result


def chunks(seq: list, size: int) -> Iterator[list]:
    if size < 1:
        raise ValueError("size must be at least 1")
    for start in range(0, len(seq), size):
        yield seq[start:start + size]


def flatten(nested) -> list:
    out = []

    def walk(node, depth=0):
        if isinstance(node, (list, tuple)) and depth < 10:
            for child in node:
                walk(child, depth + 1)
        else:
            out.append(node)

    walk(nested)
    return out


def make_counter(start: int = 0):
    count = start

    def increment(step=1):
        nonlocal count
        count += step
        return count

    return increment


def bump_global() -> int:
    global counter
    counter += 1
    return counter


@functools.lru_cache(maxsize=128)
def fibonacci(n: int) -> int:
    if n < 2:
        return n
    return fibonacci(n - 1) + fibonacci(n - 2)


def classify(value) -> str:
    match value:
        case 0:
            return "zero"
        case int(n) if n < 0:
            return "negative"
        case [x, y]:
            return f"pair {x},{y}"
        case {"kind": kind}:
            return "kind " + str(kind)
        case _:
            return "other"


def safe_divide(a: float, b: float, default: float = 0.0) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        return default
    finally:
        _cache["divisions"] = _cache.get("divisions", 0) + 1


def read_config(path: str) -> dict[str, str]:
    config = {}
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            key, sep, val = line.partition("=")
            if sep != "=":
                raise ValueError(f"bad line: {raw!r}")
            config[key.strip()] = val.strip()
    return config


def first_long_word(words: list[str], minimum: int = 5) -> Optional[str]:
    for word in words:
        if (n := len(word)) >= minimum and n is not None:
            return word
    else:
        return None


def tricky_one_liners(x):
    if x: return 1
    y = x + 1; z = y * 2
    assert z != 3, "never three"
    return y if z > 2 else -z


async def fetch_all(names: list[str], delay: float = 0.01) -> list[str]:
    async def fetch(name: str) -> str:
        await asyncio.sleep(delay)
        return name.upper()

    results = await asyncio.gather(*(fetch(n) for n in names))
    return [r for r in results if r]


class Scheduler:
    """A priority queue of jobs; lower priority numbers run first."""

    class Job:
        def __init__(self, name, priority=DEFAULT_PRIORITY):
            self.name = name
            self.priority = priority

        def __lt__(self, other):
            return (self.priority, self.name) < (other.priority, other.name)

    def __init__(self):
        self._heap = []
        self._done = set()

    def submit(self, name, priority=DEFAULT_PRIORITY):
        if name in self._done:
            return False
        heapq.heappush(self._heap, self.Job(name, priority))
        return True

    def run(self, budget=3):
        ran = []
        while self._heap and len(ran) < budget:
            job = heapq.heappop(self._heap)
            if job.name in self._done:
                continue
            self._done.add(job.name)
            ran.append(job.name)
        return ran

    def pending(self):
        return sorted(j.name for j in self._heap if j.name not in self._done)

    def reprioritise(self, name, delta):
        for job in self._heap:
            if job.name == name:
                job.priority = job.priority - delta
                break
        heapq.heapify(self._heap)

    def stats(self):
        done = len(self._done)
        queued = len(self._heap)
        ratio = done / (done + queued) if done + queued > 0 else 0
        return {"done": done, "queued": queued, "ratio": round(ratio, 3), "busy": queued != 0 or done < 1}


def main(argv=None):
    inv = Inventory(limit=10)
    inv.add("apple", 3, 0.5)
    inv.add("pear", 2, 0.75)
    print(inv.value(), binary_search([1, 3, 5, 7], 5), gcd(12, 18), power_mod(2, 10, 1000))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
