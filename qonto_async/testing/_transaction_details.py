"""What a transaction says beyond its columns: counterparty, category, logo, the nested
object of its subject type; drawn per transaction from its ``Draws``."""

from __future__ import annotations

import random
from typing import Any

from ._datagen import SUPPLIERS, Draws, ascii_slug

__all__ = ["NOTES", "category", "counterparty", "logo", "nested", "uuid"]

NOTES = ("Team lunch", "Client dinner", "Q3 hardware", "Reimbursed", "See invoice", "Travel")
_MERCHANTS = (*SUPPLIERS, "Uber", "Air France", "Monoprix", "Total Energies", "Notion", "Slack")
_COMPANIES = (
    "Atelier Dupont",
    "Studio Lumière",
    "Maison Océan",
    "Cabinet Rivoli",
    "Garage Horizon",
    "Agence Montmartre",
    "Transports Bellevue",
)
_CARD_CATEGORIES = (
    "restaurant_and_bar",
    "transport",
    "food_and_grocery",
    "gas_station",
    "online_service",
    "hotel_and_lodging",
    "office_supply",
    "it_and_electronics",
)
_CASHFLOW_DEBIT = ("Suppliers", "Salaries", "Taxes", "Rent", "Software", "Others")
_CASHFLOW_CREDIT = ("Sales", "Refunds", "Financing", "Others")


_LOGOS: dict[str, dict[str, str]] = {}


def logo(name: str) -> dict[str, str]:
    logo = _LOGOS.get(name)
    if logo is None:
        slug = ascii_slug(name)
        logo = _LOGOS[name] = {
            "small": f"https://logos.qonto.example/{slug}-s.png",
            "medium": f"https://logos.qonto.example/{slug}-m.png",
        }
    return logo


def uuid(rng: random.Random) -> str:
    n = rng.getrandbits(128)
    n = (n & ~(0xF << 76)) | (4 << 76)
    n = (n & ~(0xC << 60)) | (0x8 << 60)
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def counterparty(draws: Draws, op: str, debit: bool) -> str:
    if op == "qonto_fee":
        return "Qonto"
    if op == "card":
        return draws.pick(_MERCHANTS)
    return draws.pick(_COMPANIES if not debit else _COMPANIES + SUPPLIERS)


def category(draws: Draws, op: str, debit: bool) -> tuple[str, dict[str, str] | None]:
    if op == "card":
        category = draws.pick(_CARD_CATEGORIES)
    elif op == "qonto_fee":
        category = "fees"
    else:
        category = "other_expense" if debit else "other_income"
    names = _CASHFLOW_DEBIT if debit else _CASHFLOW_CREDIT
    if not draws.chance(70):
        return category, None
    n = draws.below(len(names))
    # The newest docs give cashflow categories an id beside the name.
    return category, {
        "id": f"00000000-0000-4000-8000-{n + (0 if debit else 100):012d}",
        "name": names[n],
    }


def nested(draws: Draws, key: str) -> dict[str, Any]:
    if key == "check":
        return {
            "check_number": f"{draws.below(10_000_000):07d}",
            "check_key": f"{draws.below(100):02d}",
        }
    if key == "financing_installment":
        total = draws.pick((3, 6, 12, 24))
        return {
            "total_installments_number": total,
            "current_installment_number": 1 + draws.below(total),
        }
    if key == "pagopa_payment":
        return {
            "notice_number": f"3{draws.below(60_000):017d}",
            "creditor_fiscal_code": f"{draws.below(60_000):011d}",
            "iuv": f"{draws.below(60_000):015d}",
        }
    if key == "direct_debit_hold":
        return {"guarding_rate": draws.pick(("0.05", "0.1", "0.15"))}
    # Counterparty formats as the REST example spells them (webhooks lowercase them).
    country = draws.pick(("FR", "DE", "NL", "ES", "IT"))
    return {
        "counterparty_account_number": country
        + "76"
        + "".join(f"{draws.below(60_000):05d}" for _ in range(4)),
        "counterparty_account_number_format": "IBAN",
        "counterparty_bank_identifier": draws.pick(
            ("RABONL2U", "BNPAFRPP", "COBADEFF", "CAIXESBB")
        ),
        "counterparty_bank_identifier_format": "SWIFT_BIC",
    }
