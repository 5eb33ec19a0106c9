"""Exactly-once listing: the paginator and its readers over a ``fetch(query) -> Page``.

Nothing here imports :mod:`.._http`: a listing only needs the fetch a resource gives it.
"""
