"""An :class:`~qonto_async.errors.InvalidTransitionError` is also its answer's status class:
one class for each, named at module level so that pickle finds them."""

from __future__ import annotations

from collections.abc import Mapping

from .errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)

__all__ = ["TRANSITION_ERRORS"]


class BadRequestTransitionError(InvalidTransitionError, BadRequestError):
    """An :class:`InvalidTransitionError` answered 400."""


class AuthenticationTransitionError(InvalidTransitionError, AuthenticationError):
    """An :class:`InvalidTransitionError` answered 401."""


class PermissionDeniedTransitionError(InvalidTransitionError, PermissionDeniedError):
    """An :class:`InvalidTransitionError` answered 403."""


class NotFoundTransitionError(InvalidTransitionError, NotFoundError):
    """An :class:`InvalidTransitionError` answered 404."""


class ConflictTransitionError(InvalidTransitionError, ConflictError):
    """An :class:`InvalidTransitionError` answered 409."""


class UnprocessableEntityTransitionError(InvalidTransitionError, UnprocessableEntityError):
    """An :class:`InvalidTransitionError` answered 422."""


class RateLimitTransitionError(InvalidTransitionError, RateLimitError):
    """An :class:`InvalidTransitionError` answered 429."""


class InternalServerTransitionError(InvalidTransitionError, InternalServerError):
    """An :class:`InvalidTransitionError` answered 5xx."""


TRANSITION_ERRORS: Mapping[type[APIStatusError], type[InvalidTransitionError]] = {
    BadRequestError: BadRequestTransitionError,
    AuthenticationError: AuthenticationTransitionError,
    PermissionDeniedError: PermissionDeniedTransitionError,
    NotFoundError: NotFoundTransitionError,
    ConflictError: ConflictTransitionError,
    UnprocessableEntityError: UnprocessableEntityTransitionError,
    RateLimitError: RateLimitTransitionError,
    InternalServerError: InternalServerTransitionError,
}
