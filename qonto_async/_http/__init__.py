"""One request, start to finish: the pipeline every call goes through.

resource method -> :mod:`.transport` (slots, rate gate, auth, session, retry) -> decoder.
"""
