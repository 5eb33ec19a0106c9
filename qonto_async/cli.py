"""Entry point of the ``qonto-async`` command (``pip install 'qonto-async[cli]'``).

click and rich are imported only here, never by the SDK itself.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    try:
        from ._cli.app import run
    except ImportError as exc:
        if exc.name not in ("click", "rich") and not (exc.name or "").startswith("rich."):
            raise
        sys.stderr.write(
            f"qonto-async: the command line needs {exc.name}: pip install 'qonto-async[cli]'\n"
        )
        sys.exit(2)
    except KeyboardInterrupt:  # Ctrl-C while the command was still being imported
        sys.stderr.write("error: interrupted\n")
        sys.exit(130)
    run(argv)


if __name__ == "__main__":
    main()
