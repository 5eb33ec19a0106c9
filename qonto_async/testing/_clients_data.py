"""The fake organisation's clients: companies, individuals and freelancers."""

from __future__ import annotations

import random
from typing import Any

import msgspec

from ._datagen import (
    CITIES,
    CLIENT_KIND_WEIGHTS,
    CLIENT_KINDS,
    COMPANY_HEADS,
    COMPANY_TAILS,
    CURRENCIES,
    DAY,
    FIRST_NAMES,
    LAST_NAMES,
    LEGAL_FORMS,
    SPAN,
    STREETS,
    Draws,
    Table,
    ascii_slug,
    digits,
    encode,
    salt,
    ts_offset,
    uuid4,
)

__all__ = ["ClientRecords"]


class ClientRecords:
    """Every client as a :class:`Table`, plus the columns list filters read without building
    whole records (``core``: kind, names, email, VAT and tax numbers)."""

    def __init__(self, seed: int, start: int, now_epoch: int, n: int) -> None:
        self._salt = salt(seed, "client")
        self._embeds: dict[int, msgspec.Raw] = {}
        self.core: list[dict[str, Any]] = []
        self.table = self._make_table(seed, start, now_epoch, n)

    def _make_table(self, seed: int, start: int, now_epoch: int, n: int) -> Table:
        rng = random.Random(f"{seed}:clients")
        ids = [uuid4(rng) for _ in range(n)]
        if n:
            # Qonto's own example client id is not a valid UUID; keep one such id around.
            first = ids[0]
            ids[0] = f"{first[:2]}v{first[3:]}"
        kinds = rng.choices(CLIENT_KINDS, CLIENT_KIND_WEIGHTS, k=n)
        step = SPAN / max(n, 1)
        created = [start + int((i + rng.random() * 0.9) * step) for i in range(n)]
        updated = [
            min(c + int(rng.random() * 200 * DAY), now_epoch) if rng.random() < 0.6 else c
            for c in created
        ]
        self.core.clear()
        for i in range(n):
            self.core.append(_core(rng, kinds[i], i))
        return Table("clients", "client", ids, created, updated, self.build)

    def append_row(self, rng: random.Random, fields: dict[str, Any]) -> None:
        """Columns for a record created through the mutation API (the table has it already)."""
        kind = fields.get("kind") or rng.choices(CLIENT_KINDS, CLIENT_KIND_WEIGHTS)[0]
        self.core.append(_core(rng, kind, len(self.core)))

    def apply(self, i: int, fields: dict[str, Any]) -> None:
        """Keep the columns filters read in step with fields set through the mutation API."""
        core = self.core[i]
        for key in core:
            if key in fields:
                core[key] = fields[key]
        self._embeds.pop(i, None)

    def display_name(self, i: int) -> str:
        core = self.core[i]
        return core["name"] or f"{core['first_name']} {core['last_name']}"

    def filter_fields(self, i: int) -> dict[str, Any]:
        return self.core[i]

    def build(self, i: int) -> dict[str, Any]:
        core = self.core[i]
        draws = Draws(self._salt, i)
        city, zip_code = draws.pick(CITIES)
        billing = {
            "street_address": f"{1 + draws.below(150)} {draws.pick(STREETS)}",
            "city": city,
            "zip_code": zip_code,
            "province_code": None,
            "country_code": "FR",
        }
        company = core["kind"] == "company"
        phone = f"6{draws.below(10**4):04d}{draws.below(10**4):04d}"
        record: dict[str, Any] = {"id": self.table.ids[i]}
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
                "currency": draws.pick(CURRENCIES),
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
                "created_at": ts_offset(self.table.created[i]),
                "updated_at": ts_offset(self.table.updated[i]),
                "locale": draws.pick(("fr", "fr", "en", "de", "it", "es")),
            }
        )
        return record

    def embed(self, i: int) -> msgspec.Raw:
        """The client snapshot inside a client invoice: every key present, as in seed 002."""
        raw = self._embeds.get(i)
        if raw is None:
            full = self.build(i)
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
            raw = self._embeds[i] = msgspec.Raw(encode(snapshot))
        return raw


def _core(rng: random.Random, kind: str, i: int) -> dict[str, Any]:
    if kind == "company":
        name: str | None = (
            f"{rng.choice(COMPANY_HEADS)} {rng.choice(COMPANY_TAILS)} {rng.choice(LEGAL_FORMS)}"
        )
        first_name = last_name = None
        slug = ascii_slug((name or "").split()[0]) + str(i)
        email = f"billing@{slug}.example.com"
    else:
        first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = None
        email = f"{ascii_slug(first_name)}.{ascii_slug(last_name)}{i}@example.com"
    siren = digits(rng, 9)
    has_vat = kind != "individual" and rng.random() < 0.85
    return {
        "kind": kind,
        "name": name,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "vat_number": f"FR{digits(rng, 2)}{siren}" if has_vat else None,
        "tax_identification_number": siren if kind != "individual" else None,
    }
