"""Deterministic, Qonto-shaped data for the fake server.

Each resource keeps a small eager *core* per record (id, status, timestamps and whatever the
list filters and ``sort_by`` need), drawn from one ``random.Random`` per resource. The full
record is built on demand from its index with cheap per-record draws (:class:`_Draws`) and
encoded once: memory stays proportional to what was actually served, and record ``i`` does
not depend on which records were requested before it. Nothing reads the global ``random``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec

from ..models.client_invoice import CLIENT_INVOICE_STATUSES
from ..models.supplier_invoice import SUPPLIER_INVOICE_STATUSES

__all__ = [
    "CLIENT_INVOICE_STATUSES",
    "SUPPLIER_INVOICE_STATUSES",
    "Dataset",
    "Upload",
]

UTC = dt.UTC
DAY = 86_400

_CLIENT_INVOICE_WEIGHTS = (12, 25, 53, 10)
_SUPPLIER_INVOICE_WEIGHTS = (14, 8, 6, 8, 10, 6, 34, 6, 4, 4)
CLIENT_KINDS = ("company", "individual", "freelancer")
_CLIENT_KIND_WEIGHTS = (60, 25, 15)

# Default clock of the generated world: data spreads over the three years before it, and the
# supplier-invoice ``filter[due_date]`` compares against its date. Fixed so that a seed gives
# the same bytes on any day.
DEFAULT_NOW = dt.datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
_SPAN = 3 * 365 * DAY

_COMPANY_HEADS = (
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
_COMPANY_TAILS = (
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
_LEGAL_FORMS = ("SAS", "SARL", "SA", "EURL", "SASU")
_FIRST_NAMES = (
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
_LAST_NAMES = (
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
_CITIES = (
    ("Paris", "75009"),
    ("Lyon", "69002"),
    ("Marseille", "13001"),
    ("Bordeaux", "33000"),
    ("Lille", "59000"),
    ("Nantes", "44000"),
    ("Toulouse", "31000"),
    ("Strasbourg", "67000"),
)
_STREETS = (
    "place de l’Opéra",
    "rue de Rivoli",
    "avenue Jean Jaurès",
    "boulevard Haussmann",
    "rue Victor Hugo",
    "quai des Chartrons",
)
_PRODUCTS = (
    ("Plastic tables", "Plastic tables for restaurants", "piece"),
    ("Consulting", "Strategy consulting, senior consultant", "day"),
    ("Development", "Backend development", "hour"),
    ("Cable", "Copper cable, 2.5 mm²", "meter"),
    ("Coffee beans", "Arabica, roasted", "kg"),
    ("Maintenance", "Yearly maintenance contract", "unit"),
    ("Design", "Logo and brand guidelines", "unit"),
    ("Training", "On-site training session", "day"),
)
_QUANTITIES = ((100, "1"), (200, "2"), (150, "1.5"), (300, "3"), (50, "0.5"), (1000, "10"))
# (rate in thousandths, wire string, exemption reason when 0)
_VAT_RATES = ((200, "0.2"), (200, "0.2"), (100, "0.1"), (55, "0.055"), (0, "0"))
_CURRENCIES = ("EUR",) * 17 + ("USD", "GBP", "CHF")
_INVOICE_TYPES = ("standard",) * 8 + ("deposit", "balance")
_SUPPLIERS = (
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
_LEGAL = {
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

_encode = msgspec.json.Encoder().encode
T = TypeVar("T")


_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _mix(x: int) -> int:
    """splitmix64's finalizer: a cheap, well-spread 64-bit hash."""
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


class _Draws:
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


def _salt(seed: int, name: str) -> int:
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


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


def _digits(rng: random.Random, n: int) -> str:
    return f"{rng.randrange(10**n):0{n}d}"


def _pdf(title: str, body: str) -> bytes:
    """A tiny, well-formed one-page PDF (deterministic for the same text)."""
    text = f"BT /F1 14 Tf 72 760 Td ({title}) Tj 0 -24 Td ({body}) Tj ET".encode("latin-1", "?")
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
class _Table:
    """One listable resource: eager core columns plus lazily built, cached record bytes."""

    name: str
    singular: str
    ids: list[str]
    created: list[int]
    updated: list[int]
    build: Callable[[int], dict[str, Any]]
    index: dict[str, int] = field(default_factory=dict)
    cache: dict[int, bytes] = field(default_factory=dict)
    orders: dict[tuple[str, bool], list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = {rid: i for i, rid in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def encoded(self, i: int) -> bytes:
        data = self.cache.get(i)
        if data is None:
            data = self.cache[i] = _encode(self.build(i))
        return data


class Dataset:
    """All records of one fake organisation, derived from ``seed``.

    ``clients``, ``client_invoices`` and ``supplier_invoices`` are record counts; ``uploads``
    is the number of client-invoice uploads present from the start.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        clients: int = 20,
        client_invoices: int = 200,
        supplier_invoices: int = 200,
        uploads: int = 3,
        now: dt.datetime = DEFAULT_NOW,
    ) -> None:
        if min(clients, client_invoices, supplier_invoices, uploads) < 0:
            raise ValueError("record counts must be >= 0")
        if client_invoices and not clients:
            raise ValueError("client invoices need at least one client")
        self.seed = seed
        self.now = now
        self.now_epoch = int(now.timestamp())
        self.today = now.date()
        self.today_day = (self.today - dt.date(1970, 1, 1)).days
        self._start = self.now_epoch - _SPAN
        org_rng = random.Random(f"{seed}:organization")
        self.organization_id = uuid4(org_rng)
        self._org_legal_name = f"{org_rng.choice(_COMPANY_HEADS)} {org_rng.choice(_COMPANY_TAILS)}"
        self._org_iban = "FR76" + _digits(org_rng, 23)
        self._signing_key = hashlib.sha256(f"{seed}:signing".encode()).digest()
        self._organization = msgspec.Raw(_encode(self._organization_block(org_rng)))
        self._payment_methods = msgspec.Raw(
            _encode(
                [
                    {
                        "beneficiary_name": self._org_legal_name,
                        "bic": "QNTOFRP1XXX",
                        "iban": self._org_iban,
                        "type": "transfer",
                    }
                ]
            )
        )
        self._contact_email = f"billing@{self.organization_id[:8]}.example.com"
        self._client_embeds: dict[int, msgspec.Raw] = {}
        self._item_pool: dict[tuple[int, str], tuple[msgspec.Raw, int, int]] = {}
        self._items_salt = _salt(seed, "items")
        self._client_salt = _salt(seed, "client")
        self._ci_salt = _salt(seed, "client_invoice")
        self._si_salt = _salt(seed, "supplier_invoice")
        self.clients = self._clients_table(clients)
        self.client_invoices = self._client_invoices_table(client_invoices)
        self.supplier_invoices = self._supplier_invoices_table(supplier_invoices)
        self.tables: dict[str, _Table] = {
            t.name: t for t in (self.clients, self.client_invoices, self.supplier_invoices)
        }
        # attachment id -> (table name, record index)
        self.attachments: dict[str, tuple[str, int]] = {}
        for i, aid in enumerate(self._ci_attachment):
            self.attachments[aid] = ("client_invoices", i)
        for i, aid in enumerate(self._si_attachment):
            self.attachments[aid] = ("supplier_invoices", i)
        self.uploads: dict[str, Upload] = {}
        up_rng = random.Random(f"{seed}:uploads")
        for n in range(uploads):
            epoch = self._start + int(up_rng.random() * _SPAN)
            uid = uuid4(up_rng)
            stamp = ts_offset(epoch)
            name = f"invoice_document_{n + 1}.pdf"
            self.uploads[uid] = Upload(
                id=uid,
                filename=name,
                content_type="application/pdf",
                content=_pdf(name, f"upload {uid}"),
                created_at=stamp,
                updated_at=stamp,
            )

    # -- organisation -----------------------------------------------------------------------

    def _organization_block(self, rng: random.Random) -> dict[str, Any]:
        city, zip_code = rng.choice(_CITIES)
        return {
            "id": self.organization_id,
            "legal_name": self._org_legal_name,
            "legal_number": _digits(rng, 9),
            "legal_country": "FR",
            "address_line_1": f"{rng.randint(1, 120)} {rng.choice(_STREETS)}",
            "address_line_2": None,
            "address_zipcode": zip_code,
            "address_city": city,
            "address_country": "FR",
            "company_leadership": f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}",
            "district_court": None,
            "commercial_register_number": None,
            "vat_number": "FR" + _digits(rng, 11),
            "tax_number": None,
            "legal_capital_share": amount(rng.choice((100_000, 500_000, 1_000_000)), "EUR"),
            "transaction_type": rng.choice(("goods", "services", "goods_and_services")),
            "vat_payment_condition": rng.choice(("on_receipts", "compensated_for_sales")),
        }

    # -- clients ----------------------------------------------------------------------------

    def _clients_table(self, n: int) -> _Table:
        rng = random.Random(f"{self.seed}:clients")
        ids = [uuid4(rng) for _ in range(n)]
        if n:
            # Qonto's own example client id is not a valid UUID; keep one such id around.
            first = ids[0]
            ids[0] = f"{first[:2]}v{first[3:]}"
        kinds = rng.choices(CLIENT_KINDS, _CLIENT_KIND_WEIGHTS, k=n)
        step = _SPAN / max(n, 1)
        created = [self._start + int((i + rng.random() * 0.9) * step) for i in range(n)]
        updated = [
            min(c + int(rng.random() * 200 * DAY), self.now_epoch) if rng.random() < 0.6 else c
            for c in created
        ]
        self._client_core: list[dict[str, Any]] = []
        for i in range(n):
            kind = kinds[i]
            if kind == "company":
                name = (
                    f"{rng.choice(_COMPANY_HEADS)} {rng.choice(_COMPANY_TAILS)} "
                    f"{rng.choice(_LEGAL_FORMS)}"
                )
                first_name = last_name = None
                slug = _ascii(name.split()[0]) + str(i)
                email = f"billing@{slug}.example.com"
            else:
                first_name, last_name = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
                name = None
                email = f"{_ascii(first_name)}.{_ascii(last_name)}{i}@example.com"
            siren = _digits(rng, 9)
            has_vat = kind != "individual" and rng.random() < 0.85
            self._client_core.append(
                {
                    "kind": kind,
                    "name": name,
                    "first_name": first_name,
                    "last_name": last_name,
                    "email": email,
                    "vat_number": f"FR{_digits(rng, 2)}{siren}" if has_vat else None,
                    "tax_identification_number": siren if kind != "individual" else None,
                }
            )
        return _Table("clients", "client", ids, created, updated, self._build_client)

    def client_display_name(self, i: int) -> str:
        core = self._client_core[i]
        return core["name"] or f"{core['first_name']} {core['last_name']}"

    def client_filter_fields(self, i: int) -> dict[str, Any]:
        return self._client_core[i]

    def _build_client(self, i: int) -> dict[str, Any]:
        core = self._client_core[i]
        draws = _Draws(self._client_salt, i)
        city, zip_code = draws.pick(_CITIES)
        billing = {
            "street_address": f"{1 + draws.below(150)} {draws.pick(_STREETS)}",
            "city": city,
            "zip_code": zip_code,
            "province_code": None,
            "country_code": "FR",
        }
        company = core["kind"] == "company"
        phone = f"6{draws.below(10**4):04d}{draws.below(10**4):04d}"
        record: dict[str, Any] = {"id": self.clients.ids[i]}
        if company:
            record["name"] = core["name"]
        else:
            record["first_name"] = core["first_name"]
            record["last_name"] = core["last_name"]
        record.update(
            {
                "phone_number": f"+33{phone}",
                "phone": {"country_code": "+33", "number": phone},
                "kind": core["kind"],
                "type": core["kind"],
                "email": core["email"],
                "extra_emails": draws.pick(([], None, [f"accounting{i}@example.com"])),
                "currency": draws.pick(_CURRENCIES),
                "e_invoicing_address": core["tax_identification_number"]
                if company and draws.chance(50)
                else None,
                "e_invoicing_reachable": company and draws.chance(40),
                "vat_number": core["vat_number"],
                "tax_identification_number": core["tax_identification_number"],
                "address": billing["street_address"],
                "city": city,
                "zip_code": zip_code,
                "province_code": None,
                "country_code": "fr",
                "billing_address": billing,
                "delivery_address": dict(billing) if draws.chance(50) else None,
                "recipient_code": None,
                "created_at": ts_offset(self.clients.created[i]),
                "updated_at": ts_offset(self.clients.updated[i]),
                "locale": draws.pick(("fr", "fr", "en", "de", "it", "es")),
            }
        )
        return record

    def _client_embed(self, i: int) -> msgspec.Raw:
        """The client snapshot inside a client invoice: every key present, as in seed 002."""
        raw = self._client_embeds.get(i)
        if raw is None:
            full = self._build_client(i)
            snapshot = {
                key: full.get(key)
                for key in (
                    "id",
                    "name",
                    "first_name",
                    "last_name",
                    "type",
                    "email",
                    "vat_number",
                    "tax_identification_number",
                    "address",
                    "city",
                    "zip_code",
                    "province_code",
                    "country_code",
                    "recipient_code",
                    "locale",
                    "billing_address",
                    "delivery_address",
                )
            }
            raw = self._client_embeds[i] = msgspec.Raw(_encode(snapshot))
        return raw

    # -- client invoices --------------------------------------------------------------------

    def _client_invoices_table(self, n: int) -> _Table:
        rng = random.Random(f"{self.seed}:client_invoices")
        ids = [uuid4(rng) for _ in range(n)]
        self._ci_attachment = [uuid4(rng) for _ in range(n)]
        self._ci_status = rng.choices(CLIENT_INVOICE_STATUSES, _CLIENT_INVOICE_WEIGHTS, k=n)
        n_clients = len(self.clients)
        self._ci_client = [rng.randrange(n_clients) for _ in range(n)] if n else []
        step = _SPAN / max(n, 1)
        # strictly increasing with the index: created_at order == index order
        created = [self._start + int((i + rng.random() * 0.9) * step) for i in range(n)]
        updated = [
            min(c + int(rng.random() * 90 * DAY), self.now_epoch) if rng.random() < 0.7 else c
            for c in created
        ]
        return _Table(
            "client_invoices", "client_invoice", ids, created, updated, self._build_client_invoice
        )

    def client_invoice_status(self, i: int) -> str:
        return self._ci_status[i]

    _ITEM_POOL = 512

    def _items(self, variant: int, currency: str) -> tuple[msgspec.Raw, int, int]:
        """Pre-encoded item list ``variant`` in ``currency``, with its total and VAT cents.

        Invoices draw their lines from a pool of variants: building and encoding lines per
        invoice was most of the generation time, and line variety across 512 variants is
        plenty for tests and benchmarks.
        """
        key = (variant, currency)
        cached = self._item_pool.get(key)
        if cached is not None:
            return cached
        draws = _Draws(self._items_salt, variant)
        items = []
        total = vat_total = 0
        for _ in range(1 + draws.below(4)):
            title, description, unit = draws.pick(_PRODUCTS)
            q100, quantity = draws.pick(_QUANTITIES)
            unit_cents = 500 + 5 * draws.below(50_000)
            gross = (q100 * unit_cents + 50) // 100
            discount = None
            discount_cents = 0
            if draws.chance(20):
                if draws.chance(50):
                    pct = draws.pick((500, 1000, 1500))  # ten-thousandths
                    discount_cents = (gross * pct + 5000) // 10_000
                    discount = {"type": "percentage", "value": f"{pct / 10_000:g}"}
                else:
                    discount_cents = min(gross, draws.pick((500, 1000, 2500)))
                    discount = {"type": "absolute", "value": money(discount_cents)}
                discount["amount"] = amount(discount_cents, currency)  # type: ignore[assignment]
            subtotal = gross - discount_cents
            rate, rate_str = draws.pick(_VAT_RATES)
            vat = (subtotal * rate + 500) // 1000
            line_total = subtotal + vat
            total += line_total
            vat_total += vat
            items.append(
                {
                    "title": title,
                    "description": description,
                    "quantity": quantity,
                    "unit": unit,
                    "unit_price": amount(unit_cents, currency),
                    "unit_price_cents": unit_cents,
                    "vat_rate": rate_str,
                    "vat_exemption_reason": "S261" if rate == 0 else None,
                    "discount": discount,
                    "total_vat": amount(vat, currency),
                    "total_vat_cents": vat,
                    "total_amount": amount(line_total, currency),
                    "total_amount_cents": line_total,
                    "subtotal": amount(subtotal, currency),
                    "subtotal_cents": subtotal,
                }
            )
        entry = self._item_pool[key] = (msgspec.Raw(_encode(items)), total, vat_total)
        return entry

    def _build_client_invoice(self, i: int) -> dict[str, Any]:
        draws = _Draws(self._ci_salt, i)
        status = self._ci_status[i]
        created = self.client_invoices.created[i]
        draft = status == "draft"
        currency = draws.pick(_CURRENCIES)
        items, total, vat_total = self._items(draws.below(self._ITEM_POOL), currency)
        invoice_id = self.client_invoices.ids[i]
        issue_day = (created + 3600 * draws.below(48)) // DAY
        due_day = issue_day + draws.pick((0, 15, 30, 30, 45, 60))
        finalized = min(created + 60 + draws.below(3 * 1440) * 60, self.now_epoch)
        paid = min(finalized + DAY * (1 + draws.below(60)) + draws.below(DAY), self.now_epoch)
        blank_dates = draft and draws.chance(50)
        einvoiced = not draft and draws.chance(25)
        if draft:
            paid_at: str | None = ""
        else:
            paid_at = ts_offset(paid) if status == "paid" else None
        return {
            "id": invoice_id,
            "organization_id": self.organization_id,
            "number": f"INV-{day_str(issue_day)[:4]}-{i + 1:06d}",
            "purchase_order": f"PO-{100_000 + draws.below(900_000)}" if draws.chance(30) else None,
            "status": status,
            "invoice_url": f"https://pay.qonto.com/invoices/{invoice_id}",
            "contact_email": self._contact_email,
            **_LEGAL,
            "header": None,
            "footer": "Merci pour votre confiance." if draws.chance(30) else None,
            "currency": currency,
            "total_amount": amount(total, currency),
            "total_amount_cents": total,
            "vat_amount": amount(vat_total, currency),
            "vat_amount_cents": vat_total,
            "issue_date": day_str(issue_day),
            "due_date": "" if blank_dates else day_str(due_day),
            "performance_date": "" if blank_dates else None,
            "performance_start_date": "" if blank_dates else day_str(issue_day - 30),
            "performance_end_date": "" if blank_dates else day_str(issue_day),
            "created_at": ts_offset(created),
            "finalized_at": "" if draft else ts_offset(finalized),
            "paid_at": paid_at,
            "stamp_duty_amount": None,
            "items": items,
            "client": self._client_embed(self._ci_client[i]),
            "payment_methods": self._payment_methods,
            "credit_notes_ids": [draws.uuid()] if status == "canceled" else [],
            "organization": self._organization,
            "invoice_type": draws.pick(_INVOICE_TYPES),
            "attachment_id": self._ci_attachment[i],
            "discount": None,
            "einvoicing_status": draws.pick(("submitted", "approved", "pending"))
            if einvoiced
            else None,
            "welfare_fund": None,
            "withholding_tax": None,
            "payment_reporting": None,
            "einvoicing_lifecycle_events": [
                {
                    "status_code": 200,
                    "reason": None,
                    "reason_message": None,
                    "timestamp": ts_zulu(finalized + 60, 1 + draws.below(999_999)),
                }
            ]
            if einvoiced
            else [],
        }

    # -- supplier invoices ------------------------------------------------------------------

    def _supplier_invoices_table(self, n: int) -> _Table:
        rng = random.Random(f"{self.seed}:supplier_invoices")
        ids = [uuid4(rng) for _ in range(n)]
        self._si_attachment = [uuid4(rng) for _ in range(n)]
        self._si_status = rng.choices(SUPPLIER_INVOICE_STATUSES, _SUPPLIER_INVOICE_WEIGHTS, k=n)
        step = _SPAN / max(n, 1)
        created = [self._start + int((i + rng.random() * 0.9) * step) for i in range(n)]
        updated = [
            min(c + int(rng.random() * 60 * DAY), self.now_epoch) if rng.random() < 0.8 else c
            for c in created
        ]
        # Sortable / filterable columns.
        self._si_supplier: list[str | None] = []
        self._si_number: list[str | None] = []
        self._si_file: list[str] = []
        self._si_total: list[int] = []
        self._si_issue: list[int] = []
        self._si_due: list[int | None] = []
        self._si_payment: list[int | None] = []
        self._si_scheduled: list[int | None] = []
        self._si_credit_note: list[bool] = []
        self._si_matched: list[bool] = []
        for i in range(n):
            status = self._si_status[i]
            missing = status == "to_review" and rng.random() < 0.5
            supplier = rng.choice(_SUPPLIERS)
            self._si_supplier.append(None if missing and rng.random() < 0.5 else supplier)
            self._si_number.append(None if missing else f"{supplier[:3].upper()}-{i + 1:06d}")
            self._si_file.append(f"{supplier.split()[0].lower()}-invoice-{i + 1}.pdf")
            self._si_total.append(rng.randrange(100, 500_000))
            issue_day = created[i] // DAY - rng.randint(0, 10)
            self._si_issue.append(issue_day)
            due = None if missing or rng.random() < 0.05 else issue_day + rng.choice((0, 30, 60))
            self._si_due.append(due)
            paid = status == "paid"
            self._si_payment.append(
                min(created[i] // DAY + rng.randint(1, 40), self.today_day) if paid else None
            )
            self._si_scheduled.append(
                self.today_day + rng.randint(1, 30) if status == "scheduled" else None
            )
            self._si_credit_note.append(rng.random() < 0.05)
            self._si_matched.append(paid and rng.random() < 0.9)
        return _Table(
            "supplier_invoices",
            "supplier_invoice",
            ids,
            created,
            updated,
            self._build_supplier_invoice,
        )

    def _build_supplier_invoice(self, i: int) -> dict[str, Any]:
        draws = _Draws(self._si_salt, i)
        status = self._si_status[i]
        created = self.supplier_invoices.created[i]
        currency = "EUR" if draws.chance(90) else "USD"
        total = amount(self._si_total[i], currency)
        credit_note = self._si_credit_note[i]
        einvoice = draws.chance(5)
        attachment = self._si_attachment[i]
        due, payment, scheduled = self._si_due[i], self._si_payment[i], self._si_scheduled[i]
        matched = [draws.uuid()] if self._si_matched[i] else []
        payable = status in ("to_pay", "awaiting_payment", "scheduled")
        return {
            "id": self.supplier_invoices.ids[i],
            "is_einvoice": einvoice,
            "has_discrepancies": draws.chance(3),
            "organization_id": self.organization_id,
            "file_name": self._si_file[i],
            "status": status,
            "source_type": "e_invoicing" if einvoice else draws.pick(("email", "direct_upload")),
            "created_at": ts_zulu(created, 1 + draws.below(999_999)),
            "updated_at": ts_zulu(self.supplier_invoices.updated[i]),
            "attachment_id": attachment,
            "display_attachment_id": attachment,
            "declined_note": "Duplicate of an earlier invoice" if status == "rejected" else "",
            "e_invoice_type": draws.pick(("zugferd", "xrechnung")) if einvoice else None,
            "has_duplicates": draws.chance(2),
            "invoice_number": self._si_number[i],
            "supplier_name": self._si_supplier[i],
            "vat_number": f"FR{draws.below(10**5):05d}{draws.below(10**6):06d}",
            "tin": f"{draws.below(10**5):05d}{draws.below(10**5):05d}",
            "description": draws.pick((None, "Monthly subscription", "Office supplies")),
            "total_amount": total,
            "issue_date": day_str(self._si_issue[i]),
            "due_date": None if due is None else day_str(due),
            "payment_date": None if payment is None else day_str(payment),
            "scheduled_date": None if scheduled is None else day_str(scheduled),
            "iban": f"FR76{draws.below(10**5):05d}{draws.below(10**5):05d}0000{i:013d}",
            "initiator_id": draws.uuid(),
            "source": draws.pick(("email_forward", "supplier_invoices", "integration")),
            "is_attachment_invoice": True,
            "attachment_category": "CREDIT_NOTE" if credit_note else "INVOICE",
            "is_attachment_non_financial": False,
            "analyzed_at": ts_offset(created + 5 + draws.below(600)),
            "matched_transactions": matched,
            "transfer_ids": list(matched),
            "request_transfer": None,
            "einvoicing_lifecycle_events": [],
            "meta": {
                "integration_type": None,
                "connector": None,
                "accounting_recorded_at": None,
                "accounting_recorded_source": None,
            },
            "available_actions": {
                "delete": status in ("to_review", "archived", "rejected", "discarded"),
                "archive": status not in ("archived", "paid"),
                "unarchive": status == "archived",
                "pay": payable and not credit_note,
                "reasons": {
                    "pay": ["is_credit_note"] if credit_note else [],
                    "delete": [],
                    "archive": [],
                    "unarchive": [] if status == "archived" else ["invalid_status"],
                },
            },
            "approval_workflow": {
                "approver_ids": [draws.uuid()],
                "supplier_invoice_request_id": draws.uuid(),
                "verified_by": None,
                "last_approved_by": None,
            }
            if status == "to_approve"
            else None,
            "payable_amount": amount(0 if credit_note else self._si_total[i], currency),
            "total_amount_credit_notes": amount(0, currency),
            "is_credit_note": credit_note,
            "has_suggested_credit_notes": False,
            "related_invoices": [],
            "suggested_transactions": [],
        }

    # -- attachments and files --------------------------------------------------------------

    def attachment_file(self, attachment_id: str) -> tuple[str, bytes, int]:
        """``(file_name, content, created_epoch)`` of a known attachment."""
        table_name, i = self.attachments[attachment_id]
        table = self.tables[table_name]
        name = self._si_file[i] if table is self.supplier_invoices else f"invoice-{i + 1:06d}.pdf"
        content = _pdf(name, f"{table.singular} {table.ids[i]}")
        return name, content, table.created[i]

    def sign(self, message: str) -> str:
        """HMAC of ``message`` with this dataset's key (signed download URLs)."""
        return hmac.new(self._signing_key, message.encode(), "sha256").hexdigest()

    # -- selection --------------------------------------------------------------------------

    def order(self, table: _Table, key: str, descending: bool) -> list[int]:
        """Every index of ``table`` sorted by ``key``, ties by index ascending; cached.

        Nulls sort last ascending and first descending, as in Postgres.
        """
        cached = table.orders.get((key, descending))
        if cached is not None:
            return cached
        sort_key = self._sort_key(table, key)
        if sort_key is None:  # created_at grows with the index
            perm = list(range(len(table)))
            if descending:
                perm.reverse()
        elif descending:
            perm = sorted(range(len(table)), key=lambda i: (sort_key(i), -i), reverse=True)
        else:
            perm = sorted(range(len(table)), key=lambda i: (sort_key(i), i))
        table.orders[(key, descending)] = perm
        return perm

    def _sort_key(self, table: _Table, key: str) -> Callable[[int], Any] | None:
        if key == "created_at":
            return None
        if key == "updated_at":
            return table.updated.__getitem__
        if table is self.clients and key == "name":
            return lambda i: self.client_display_name(i).casefold()
        if table is self.supplier_invoices:
            columns: dict[str, Sequence[Any]] = {
                "file_name": self._si_file,
                "supplier_name": self._si_supplier,
                "payment_date": self._si_payment,
                "due_date": self._si_due,
                "scheduled_date": self._si_scheduled,
                "total_amount": self._si_total,
            }
            column = columns[key]
            return lambda i: (
                (True, 0)
                if column[i] is None
                else (False, column[i].casefold() if isinstance(column[i], str) else column[i])
            )
        raise KeyError(key)

    def supplier_columns(self) -> dict[str, Sequence[Any]]:
        return {
            "status": self._si_status,
            "supplier_name": self._si_supplier,
            "invoice_number": self._si_number,
            "file_name": self._si_file,
            "due": self._si_due,
            "credit_note": self._si_credit_note,
            "matched": self._si_matched,
            "attachment": self._si_attachment,
        }
