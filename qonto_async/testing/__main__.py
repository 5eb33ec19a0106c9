"""``python -m qonto_async.testing``: serve a fake Qonto until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import shlex
import sys
from collections.abc import Sequence

from ._churn import Churn
from ._faults import QONTO_RATE_LIMITS, Faults
from ._options import FakeOptions
from ._server import FakeQonto


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m qonto_async.testing",
        description="Serve a fake Qonto Business API (deterministic data, optional faults).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument(
        "--size",
        type=int,
        default=1000,
        help="client and supplier invoices each (clients: size / 10, at least 1)",
    )
    parser.add_argument(
        "--transactions", type=int, default=300, help="bank transactions, across the accounts"
    )
    parser.add_argument(
        "--bank-accounts",
        type=int,
        default=3,
        help="bank accounts (the last one, of two or more, a connected external account)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--faults", default="", help="e.g. 'error=5%%,throttle=2%%,drop=1%%'")
    parser.add_argument(
        "--churn",
        default="",
        help="change records between requests, e.g. 'creates=5%%,updates=10%%,deletes=1%%' "
        "(clients, client invoices, supplier invoices and transactions)",
    )
    parser.add_argument("--staging-token", default=None)
    parser.add_argument(
        "--no-rate-limit", action="store_true", help="disable the 1,000 req / 10 s emulation"
    )
    parser.add_argument(
        "--warm", action="store_true", help="encode every record before serving (benchmarks)"
    )
    return parser


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeQonto(
        seed=args.seed,
        clients=max(1, args.size // 10),
        client_invoices=args.size,
        supplier_invoices=args.size,
        transactions=args.transactions,
        bank_accounts=args.bank_accounts,
        latency=args.latency_ms / 1000,
        faults=Faults.parse(args.faults) if args.faults else None,
        rate_limit=None if args.no_rate_limit else QONTO_RATE_LIMITS,
        options=FakeOptions(staging_token=args.staging_token, host=args.host, port=args.port),
    )
    if args.churn:
        churn = Churn.parse(args.churn, seed=args.seed)
        fake.churn = dataclasses.replace(churn, resources=(*churn.resources, "transactions"))
    if args.warm:
        fake.warm()
    async with fake:
        print("\n".join(_banner(fake)), flush=True)
        await asyncio.Event().wait()


def _banner(fake: FakeQonto) -> list[str]:
    """Where the fake serves, its credentials, and the shell line that points
    ``qonto-async`` at it (``invoice create`` needs the account it pays into, the IBAN)."""
    variables = {
        "QONTO_BASE_URL": fake.base_url,
        "QONTO_LOGIN": fake.login,
        "QONTO_SECRET_KEY": fake.secret_key,
    }
    if fake.staging_token:
        variables["QONTO_STAGING_TOKEN"] = fake.staging_token
    variables["QONTO_IBAN"] = fake.iban
    lines = [f"Fake Qonto serving on {fake.base_url}"]
    lines += [f"{name}={value}" for name, value in variables.items()]
    lines.append(
        f"OAuth: token_url={fake.token_url} client_id={fake.client_id} "
        f"client_secret={fake.client_secret} refresh_token={fake.refresh_token}"
    )
    accounts = fake.ids("bank_accounts")
    lines.append(f"Bank accounts (GET /v2/transactions?bank_account_id=...): {', '.join(accounts)}")
    clients = fake.ids("clients")
    if clients:
        lines.append(f"A client to bill (invoice create --client-id): {clients[0]}")
    lines.append("To point qonto-async at it, run in another shell:")
    lines.append("export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in variables.items()))
    lines.append("Ctrl-C to stop.")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        Faults.parse(args.faults)
    except (TypeError, ValueError) as exc:
        print(f"error: --faults: {exc}", file=sys.stderr)
        return 2
    try:
        Churn.parse(args.churn)
    except ValueError as exc:
        print(f"error: --churn: {exc}", file=sys.stderr)
        return 2
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(args))
    except OSError as exc:
        reason = exc.strerror or exc
        print(f"error: cannot serve on {args.host}:{args.port}: {reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
