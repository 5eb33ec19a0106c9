"""The ``qonto-async`` command line (needs the ``cli`` extra: click and rich)."""
