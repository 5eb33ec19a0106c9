"""Redis-backed pieces behind :mod:`qonto_async.redis`: the shared gate, token store and
seen-events set."""
