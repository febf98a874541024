"""The aiohttp application key (`web.AppKey`) under which the parent app puts the service's
`JwtAuthority`."""

from __future__ import annotations

from aiohttp import web

from reference_impl.auth.tokens import JwtAuthority

JWT_AUTHORITY_KEY = web.AppKey("jwt_authority", JwtAuthority)
