"""FakeQonto and the SDK under ``python -X dev -W error``, as users' test suites often run."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import asyncio
    from qonto_async import QontoClient
    from qonto_async.testing import FakeQonto

    async def main() -> None:
        async with FakeQonto(clients=2, client_invoices=3, supplier_invoices=3) as fake:
            async with QontoClient(
                login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url
            ) as qonto:
                for attachment_id in fake.ids("attachments"):
                    assert (await qonto.attachments.download(attachment_id)).startswith(b"%PDF")
                for upload_id in fake.ids("client_invoice_uploads"):
                    await qonto.client_invoice_uploads.get(upload_id)
                upload = await qonto.client_invoice_uploads.create(
                    b"%PDF-1.4 test", filename="r\\u00e9sum\\u00e9 \\u20ac.pdf"
                )
                assert upload.id
        print("ok")

    asyncio.run(main())
    """
)


def test_fake_and_sdk_run_clean_in_dev_mode_with_warnings_as_errors() -> None:
    result = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert result.stderr == ""
