"""The server-side role check on every endpoint of the app, and the ways in that Gradio is launched with.

After the page is built, :func:`install` wraps the function of *every* event and API endpoint (named or
private: the browser calls private ones too) in a check of :data:`tutor.ui.permissions.ENDPOINTS`.
A function missing from that table stops the build, so a new button cannot be reachable by accident.
A refusal is a ``gr.Error``: one line in the page, an ``AppError`` for ``gradio_client``.

Handlers learn who is asking with :func:`current_visitor` (the signed-in account, never a typed name).
The client address comes from the connection (or, behind the trusted proxy, from ``X-Forwarded-For``);
uvicorn's own forwarding is switched off so that nobody else can claim an address by sending the header.
"""

from __future__ import annotations

import asyncio
import functools
import html
import inspect
import logging
import os
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import gradio as gr
from fastapi import HTTPException
from gradio.context import LocalContext
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from tutor.ui.permissions import ENDPOINTS
from tutor.users.access import Access, AccessRefused, Visitor

log = logging.getLogger(__name__)

_ADDRESS: ContextVar[str] = ContextVar("mw_client_address", default="")
ACCESS_ATTRIBUTE = "mw_access"
SIGN_IN_MESSAGE = "Mwalimu: sign in with the name and password your administrator gave you."


class ClientAddress:
    """ASGI middleware that notes each request's client address for the sign-in check (Gradio's ``auth``
    callable is given only the name and password)."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            peer = (scope.get("client") or ("", 0))[0]
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
            token = _ADDRESS.set(self.access.client_address(peer, headers))
            try:
                await self.app(scope, receive, send)
            finally:
                _ADDRESS.reset(token)
            return
        await self.app(scope, receive, send)


def access_of(demo: gr.Blocks) -> Access:
    return getattr(demo, ACCESS_ATTRIBUTE)


def visitor_of(access: Access, request: Any) -> Visitor:
    """The visitor behind a Gradio request (``None``: a handler called directly, as tests do: anonymous)."""
    if request is None:
        return Visitor(None, "")
    client = getattr(request, "client", None)
    peer = getattr(client, "host", "") or ""
    headers = getattr(request, "headers", None) or {}
    return access.visitor(getattr(request, "username", None), access.client_address(peer, headers))


def current_visitor(access: Access | None) -> Visitor:
    """Who is asking, inside an event handler: the account Gradio's sign-in (or the proxy) vouched for."""
    if access is None:
        return Visitor(None, "")
    return visitor_of(access, LocalContext.request.get(None))


def _check(access: Access, need: str, what: str) -> None:
    try:
        access.require(current_visitor(access), need, what)
    except AccessRefused as exc:
        raise gr.Error(html.escape(str(exc)), print_exception=False) from None


def guarded(fn: Callable[..., Any], need: str, what: str, access: Access) -> Callable[..., Any]:
    """``fn`` behind the role check, of the same kind (generator, coroutine...) so Gradio runs it as before."""
    if inspect.isasyncgenfunction(fn):
        @functools.wraps(fn)
        async def agen(*args: Any, **kwargs: Any) -> Any:
            _check(access, need, what)
            async for item in fn(*args, **kwargs):
                yield item
        return agen
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen(*args: Any, **kwargs: Any) -> Any:
            _check(access, need, what)
            yield from fn(*args, **kwargs)
        return gen
    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def coro(*args: Any, **kwargs: Any) -> Any:
            _check(access, need, what)
            return await fn(*args, **kwargs)
        return coro

    @functools.wraps(fn)
    def plain(*args: Any, **kwargs: Any) -> Any:
        _check(access, need, what)
        return fn(*args, **kwargs)
    return plain


def endpoint_key(fn: Callable[..., Any]) -> str:
    """How :data:`ENDPOINTS` names a handler: its qualified name (``LibraryView._upload``)."""
    return getattr(fn, "__qualname__", repr(fn))


def install(demo: gr.Blocks, access: Access) -> None:
    """Put every endpoint of ``demo`` behind its role; raises ``KeyError`` for a handler with no entry."""
    missing = sorted({endpoint_key(b.fn) for b in demo.fns.values() if b.fn and endpoint_key(b.fn) not in ENDPOINTS})
    if missing:
        raise KeyError(f"no role is set for these handlers in tutor/ui/permissions.py: {', '.join(missing)}")
    for block_fn in demo.fns.values():
        if block_fn.fn is not None:
            need, what = ENDPOINTS[endpoint_key(block_fn.fn)]
            block_fn.fn = guarded(block_fn.fn, need, what, access)
    setattr(demo, ACCESS_ATTRIBUTE, access)


def _password_check(access: Access) -> Callable[[str, str], Any]:
    async def check(name: str, password: str) -> bool:
        """Gradio's ``auth``: Argon2 runs in a worker thread so the server keeps answering meanwhile."""
        try:
            account = await asyncio.to_thread(access.sign_in, name, password, _ADDRESS.get())
        except AccessRefused as exc:
            raise HTTPException(status_code=429, detail=str(exc)) from None
        return account is not None

    return check


def _proxy_user(access: Access) -> Callable[[Any], Any]:
    async def user(request: Any) -> str | None:
        """Gradio's ``auth_dependency``: the name the sign-on proxy vouches for, or nobody (401)."""
        peer = request.client.host if request.client else ""
        return await asyncio.to_thread(access.proxy_name, peer, request.headers)

    return user


def launch_options(demo: gr.Blocks) -> dict[str, Any]:
    """The ``launch`` arguments for the way in: the sign-in page, the proxy check, the address middleware."""
    access = access_of(demo)
    # Mwalimu reads X-Forwarded-For itself, and only from TUTOR_PROXY_ADDRESSES; uvicorn's default would let
    # anyone on the same machine pick the address the throttle sees.
    os.environ["FORWARDED_ALLOW_IPS"] = ""
    options: dict[str, Any] = {"app_kwargs": {"middleware": [Middleware(ClientAddress, access=access)]}}
    if access.mode == "password":
        options.update(auth=_password_check(access), auth_message=SIGN_IN_MESSAGE)
    elif access.mode == "proxy":
        options["auth_dependency"] = _proxy_user(access)
    return options
