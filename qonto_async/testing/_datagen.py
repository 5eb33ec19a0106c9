"""Shared pieces of FakeQonto's data: deterministic draws, Qonto's value formats, word lists,
and :class:`Table`, the shape every listable resource takes. Each resource's records are built
in its own module (``_clients_data``, ``_client_invoices_data``, ``_supplier_invoices_data``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec

UTC = dt.UTC
DAY = 86_400

CLIENT_INVOICE_WEIGHTS = (12, 25, 53, 10)
SUPPLIER_INVOICE_WEIGHTS = (14, 8, 6, 8, 10, 6, 34, 6, 4, 4)
CLIENT_KINDS = ("company", "individual", "freelancer")
CLIENT_KIND_WEIGHTS = (60, 25, 15)

# Default clock of the generated world: data spreads over the three years before it, and the
# supplier-invoice ``filter[due_date]`` compares against its date. Fixed so that a seed gives
# the same bytes on any day.
DEFAULT_NOW = dt.datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
SPAN = 3 * 365 * DAY

COMPANY_HEADS = (
    "Atelier",
    "Boulangerie",
    "Cabinet",
    "Studio",
    "Maison",
    "Garage",
    "Agence",
    "Brasserie",
    "Librairie",
    "Menuiserie",
    "Pharmacie",
    "Transports",
)
COMPANY_TAILS = (
    "Dupont",
    "du Marais",
    "Lumière",
    "des Halles",
    "Martin & Fils",
    "Bellevue",
    "Saint-Honoré",
    "Océan",
    "Montmartre",
    "Rivoli",
    "Confluence",
    "Horizon",
)
LEGAL_FORMS = ("SAS", "SARL", "SA", "EURL", "SASU")
FIRST_NAMES = (
    "Jane",
    "Camille",
    "Louis",
    "Chloé",
    "Hugo",
    "Léa",
    "Jules",
    "Manon",
    "Arthur",
    "Inès",
    "Gabriel",
    "Zoé",
)
LAST_NAMES = (
    "Doe",
    "Martin",
    "Bernard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Lefèvre",
    "Garnier",
    "Roux",
    "Fontaine",
    "Chevalier",
)
CITIES = (
    ("Paris", "75009"),
    ("Lyon", "69002"),
    ("Marseille", "13001"),
    ("Bordeaux", "33000"),
    ("Lille", "59000"),
    ("Nantes", "44000"),
    ("Toulouse", "31000"),
    ("Strasbourg", "67000"),
)
STREETS = (
    "place de l’Opéra",
    "rue de Rivoli",
    "avenue Jean Jaurès",
    "boulevard Haussmann",
    "rue Victor Hugo",
    "quai des Chartrons",
)
PRODUCTS = (
    ("Plastic tables", "Plastic tables for restaurants", "piece"),
    ("Consulting", "Strategy consulting, senior consultant", "day"),
    ("Development", "Backend development", "hour"),
    ("Cable", "Copper cable, 2.5 mm²", "meter"),
    ("Coffee beans", "Arabica, roasted", "kg"),
    ("Maintenance", "Yearly maintenance contract", "unit"),
    ("Design", "Logo and brand guidelines", "unit"),
    ("Training", "On-site training session", "day"),
)
QUANTITIES = ((100, "1"), (200, "2"), (150, "1.5"), (300, "3"), (50, "0.5"), (1000, "10"))
# (rate in thousandths, wire string, exemption reason when 0)
VAT_RATES = ((200, "0.2"), (200, "0.2"), (100, "0.1"), (55, "0.055"), (0, "0"))
CURRENCIES = ("EUR",) * 17 + ("USD", "GBP", "CHF")
INVOICE_TYPES = ("standard",) * 8 + ("deposit", "balance")
SUPPLIERS = (
    "McDonald's",
    "Amazon Web Services",
    "OVHcloud",
    "SNCF",
    "Orange",
    "La Poste",
    "Adobe",
    "Free Pro",
    "Metro",
    "Leroy Merlin",
)
LEGAL = {
    "terms_and_conditions": "Paiement à réception de facture.",
    "discount_conditions": "Pas d’escompte accordé pour paiement anticipé.",
    "late_payment_penalties": (
        "En cas de non-paiement à la date d'échéance, des pénalités calculées à trois fois "
        "le taux d’intérêt légal seront appliquées."
    ),
    "legal_fixed_compensation": (
        "Tout retard de paiement entraînera une indemnité forfaitaire pour frais de "
        "recouvrement de 40€."
    ),
}

encode = msgspec.json.Encoder().encode
T = TypeVar("T")


_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _mix(x: int) -> int:
    """splitmix64's finalizer: a cheap, well-spread 64-bit hash."""
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


class Draws:
    """Per-record pseudo-random draws (splitmix64), ten times cheaper to set up than
    ``random.Random``.

    Seeded from ``(salt, index)`` so record ``i`` is the same whatever else was generated.
    """

    __slots__ = ("_bits", "_left", "_state")

    def __init__(self, salt: int, index: int) -> None:
        self._state = _mix((salt + index * _GOLDEN) & _M64)
        self._bits = 0
        self._left = 0

    def _next(self) -> int:
        self._state = (self._state + _GOLDEN) & _M64
        return _mix(self._state)

    def below(self, n: int) -> int:
        """An int in ``range(n)`` (16 bits of entropy: plenty for fake data)."""
        if not self._left:
            self._bits = self._next()
            self._left = 4
        self._left -= 1
        v = self._bits & 0xFFFF
        self._bits >>= 16
        return (v * n) >> 16

    def chance(self, percent: int) -> bool:
        return self.below(100) < percent

    def pick(self, options: Sequence[T]) -> T:
        return options[self.below(len(options))]

    def uuid(self) -> str:
        return _format_uuid((self._next() << 64) | self._next())


def salt(seed: int, name: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{seed}:{name}".encode(), digest_size=8).digest())


def _format_uuid(n: int) -> str:
    n = (n & ~(0xF << 76)) | (4 << 76)
    n = (n & ~(0xC << 60)) | (0x8 << 60)
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def uuid4(rng: random.Random) -> str:
    return _format_uuid(rng.getrandbits(128))


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def amount(cents: int, currency: str) -> dict[str, str]:
    return {"value": money(cents), "currency": currency}


_EPOCH_DATE = dt.date(1970, 1, 1)
_EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=UTC)
_DAY_STRINGS: dict[int, str] = {}
_PARIS_OFFSETS: dict[int, int] = {}


def day_str(epoch_day: int) -> str:
    text = _DAY_STRINGS.get(epoch_day)
    if text is None:
        text = _DAY_STRINGS[epoch_day] = (_EPOCH_DATE + dt.timedelta(days=epoch_day)).isoformat()
    return text


def _paris_offset(epoch_day: int) -> int:
    # Close enough to CET/CEST for fake data (switches at month boundaries); the instant a
    # timestamp denotes stays exact either way, only the wall clock shown is approximate.
    off = _PARIS_OFFSETS.get(epoch_day)
    if off is None:
        month = (_EPOCH_DATE + dt.timedelta(days=epoch_day)).month
        off = _PARIS_OFFSETS[epoch_day] = 2 if 4 <= month <= 10 else 1
    return off


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def ts_offset(epoch: int) -> str:
    """``2022-03-04T17:58:30+02:00`` (Paris wall clock, as Qonto's examples)."""
    off = _paris_offset(epoch // DAY)
    local_day, rem = divmod(epoch + off * 3600, DAY)
    return f"{day_str(local_day)}T{_clock(rem)}+0{off}:00"


def ts_zulu(epoch: int, micros: int | None = None) -> str:
    """``2024-12-04T11:05:16.4497Z``; fractional seconds only when ``micros`` is given."""
    day, rem = divmod(epoch, DAY)
    base = f"{day_str(day)}T{_clock(rem)}"
    if micros is None:
        return base + "Z"
    return f"{base}.{micros:06d}".rstrip("0").rstrip(".") + "Z"


def epoch_us(value: dt.datetime | str | float) -> int:
    """Epoch microseconds of an aware datetime, an ISO 8601 string or epoch seconds."""
    if isinstance(value, (int, float)):
        return round(value * 1_000_000)
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        raise ValueError(f"timestamps must be timezone-aware, not {value!r}")
    delta = moment - _EPOCH_UTC
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def ascii_slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


def digits(rng: random.Random, n: int) -> str:
    return f"{rng.randrange(10**n):0{n}d}"


def pdf(title: str, body: str) -> bytes:
    """A tiny, well-formed one-page PDF (deterministic for the same text)."""
    text = f"BT /F1 14 Tf 72 760 Td ({title}) Tj 0 -24 Td ({body}) Tj ET".encode(
        "latin-1", "replace"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@dataclass
class Upload:
    """A client-invoice upload (seeded or created through the API)."""

    id: str
    filename: str
    content_type: str
    content: bytes
    created_at: str
    updated_at: str


@dataclass
class Table:
    """One listable resource: eager core columns plus lazily built, cached record bytes.

    ``created``/``updated`` are epoch seconds, ``created_frac``/``updated_frac`` the
    microseconds beyond them (zero where Qonto shows whole seconds). Records are never
    removed from the columns: a deleted index joins ``deleted`` and leaves ``index``.
    ``overrides`` holds fields set through the mutation API, laid over the generated record.
    """

    name: str
    singular: str
    ids: list[str]
    created: list[int]
    updated: list[int]
    build: Callable[[int], dict[str, Any]]
    created_frac: list[int] = field(default_factory=list)
    updated_frac: list[int] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    cache: dict[int, bytes] = field(default_factory=dict)
    orders: dict[tuple[str, bool], tuple[list[int], list[Any] | None]] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    overrides: dict[int, dict[str, Any]] = field(default_factory=dict)
    monotonic: bool = True
    version: int = 0

    def __post_init__(self) -> None:
        self.index = {rid: i for i, rid in enumerate(self.ids)}
        self.created_frac = self.created_frac or [0] * len(self.ids)
        self.updated_frac = self.updated_frac or [0] * len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def created_us(self, i: int) -> int:
        return self.created[i] * 1_000_000 + self.created_frac[i]

    def updated_us(self, i: int) -> int:
        return self.updated[i] * 1_000_000 + self.updated_frac[i]

    def alive(self) -> list[int]:
        """Indices of the records that exist, in creation (index) order."""
        if not self.deleted:
            return list(range(len(self.ids)))
        return [i for i in range(len(self.ids)) if i not in self.deleted]

    def encoded(self, i: int) -> bytes:
        data = self.cache.get(i)
        if data is None:
            record = self.build(i)
            extra = self.overrides.get(i)
            if extra:
                record.update(extra)
            data = self.cache[i] = encode(record)
        return data

    def changed(self, i: int | None = None) -> None:
        """Forget what depends on the data: sort orders, and record ``i``'s bytes."""
        self.version += 1
        self.orders.clear()
        if i is not None:
            self.cache.pop(i, None)


@dataclass(frozen=True)
class Organization:
    """What every client invoice repeats about the organisation that issued it."""

    id: str
    contact_email: str
    payment_methods: msgspec.Raw
    snapshot: msgspec.Raw
