"""Who is asking and what they may do: the three ways in, the role check, and the throttle on both.

``TUTOR_AUTH`` chooses the way in:

* ``open``: an anonymous kiosk. Everyone may chat and take quizzes; nothing is stored about them, and
  anything that needs an account (one's record, library changes, evaluations, exports) is refused.
* ``password``: Gradio's sign-in page, checked here against :class:`~tutor.users.accounts.Users`.
* ``proxy``: the institution's single sign-on proxy sets a header (``X-Forwarded-User``) with the name.
  The header is believed only from the proxy addresses in ``TUTOR_PROXY_ADDRESSES``; a first visit creates
  the account as a learner.

This module knows nothing of Gradio: :mod:`tutor.ui.guard` feeds it the name and address of each request
and applies its verdicts to every endpoint. Failed sign-ins and refused role checks both count in the
shared :class:`~tutor.users.throttle.Throttle`, per account and per address, so guessing and probing are slowed
on every replica alike.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine

from tutor.errors import TutorError
from tutor.settings import Settings
from tutor.users.accounts import ROLES, Account, Users, name_key
from tutor.users.throttle import Throttle, Verdict

log = logging.getLogger(__name__)

#: What an endpoint needs, from least to most: ``anyone`` is whoever the way in lets through (everybody
#: at an open kiosk; a signed-in, enabled account otherwise), then the account roles of :data:`ROLES`.
NEEDS = ("anyone", *ROLES)
Mode = Literal["open", "password", "proxy"]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AccessRefused(TutorError):
    """The visitor may not do this (or is blocked for a while): the message says why, in one line."""


@dataclass(frozen=True)
class Visitor:
    """The person behind one request: their account (``None`` at an open kiosk) and client address."""

    account: Account | None
    address: str

    @property
    def name(self) -> str:
        """The account's name, or "" for an anonymous visitor (who is never stored under any name)."""
        return self.account.name if self.account else ""

    @property
    def role(self) -> str:
        return self.account.role if self.account else ""

    def may(self, need: str) -> bool:
        """Does this visitor have what ``need`` (one of :data:`NEEDS`) asks for? (Kiosk rules aside.)"""
        if self.account is None or self.account.disabled:
            return False
        return need == "anyone" or self.account.may(need)


def parse_networks(text: str) -> tuple[Network, ...]:
    """``10.0.0.5, 10.0.1.0/24`` -> networks; a malformed entry stops the app with a clear message."""
    networks = []
    for item in (part.strip() for part in (text or "").split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise TutorError(f"TUTOR_PROXY_ADDRESSES: {item!r} is not an address or network") from exc
    return tuple(networks)


def _in(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


class Access:
    """The way in and the role check, on the shared accounts and throttle."""

    def __init__(self, mode: Mode, users: Users, throttle: Throttle, proxies: tuple[Network, ...] = (),
                 header: str = "X-Forwarded-User") -> None:
        if mode == "proxy" and not proxies:
            raise TutorError("TUTOR_AUTH=proxy needs TUTOR_PROXY_ADDRESSES: the sign-on proxy's addresses")
        self.mode = mode
        self.users = users
        self.throttle = throttle
        self.proxies = proxies
        self.header = header.lower()

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine) -> Access:
        return cls(settings.auth, Users(engine), Throttle(engine), parse_networks(settings.proxy_addresses),
                   settings.proxy_header)

    # --- where a request comes from ------------------------------------------------------------------
    def client_address(self, peer: str, headers: Mapping[str, str]) -> str:
        """The address to throttle: the peer, or, when the peer is the trusted proxy, the client it names
        (the last hop of ``X-Forwarded-For`` that is not itself a proxy)."""
        if self.proxies and _in(peer, self.proxies):
            hops = [h.strip() for h in headers.get("x-forwarded-for", "").split(",") if h.strip()]
            for hop in reversed(hops):
                if not _in(hop, self.proxies):
                    return hop
        return peer

    # --- the ways in ---------------------------------------------------------------------------------
    def sign_in(self, name: str, password: str, address: str) -> Account | None:
        """Check a password (``TUTOR_AUTH=password``); ``None`` when wrong.

        Raises :class:`AccessRefused` when the account or the address has failed too often lately: the
        password is then not even checked, so a blocked guesser learns nothing.
        """
        keys = (f"account:{name_key(name)}", f"address:{address}")
        verdict = self.throttle.check(*keys)
        if not verdict.allowed:
            log.warning("sign-in refused for %r from %s: blocked for %.0f s", name, address, verdict.retry_after_s)
            raise AccessRefused(verdict.message())
        account = self.users.verify(name, password)
        if account is None:
            self.throttle.failed(*keys, reason="failed sign-in")
            return None
        self.throttle.succeeded(*keys)
        log.info("%r signed in from %s", account.name, address)
        return account

    def proxy_name(self, peer: str, headers: Mapping[str, str]) -> str | None:
        """The name the sign-on proxy vouches for, or ``None`` (no header, or not from the proxy).

        A new name gets a learner account; a disabled one is let in by nobody.
        """
        name = (headers.get(self.header) or "").strip()
        if not name:
            return None
        if not _in(peer, self.proxies):
            log.warning("ignored %s from %s: not a sign-on proxy address", self.header, peer)
            return None
        account = self.users.ensure_learner(name)
        return None if account.disabled else account.name

    def visitor(self, username: str | None, address: str) -> Visitor:
        """The visitor behind a request Gradio let through (``username`` as its sign-in recorded it)."""
        if self.mode == "open" or not username:
            return Visitor(None, address)
        return Visitor(self.users.get(username), address)

    # --- the role check ------------------------------------------------------------------------------
    def require(self, visitor: Visitor, need: str, what: str) -> None:
        """Raise :class:`AccessRefused` unless ``visitor`` may do ``what`` (which needs ``need``)."""
        if need == "anyone" and (self.mode == "open" or visitor.may("anyone")):
            return
        keys = self._probe_keys(visitor)
        blocked = self.throttle.check(*keys)
        if not blocked.allowed:
            raise AccessRefused(blocked.message("refused requests"))
        if visitor.may(need):
            return
        self.throttle.failed(*keys, reason=f"refused {what}")
        raise AccessRefused(self.refusal(visitor, need, what))

    def refusal(self, visitor: Visitor, need: str, what: str) -> str:
        """The one line a refused visitor reads."""
        if self.mode == "open":
            return (f"{what} needs an account, and this server is an open kiosk that keeps no records: "
                    "ask the administrator for a sign-in.")
        if visitor.account is None or visitor.account.disabled:
            return f"{what} needs a signed-in account: sign in again."
        return (f"{what} needs the {need} role; {visitor.name} has the {visitor.role} role. "
                "Ask an administrator if you need it.")

    @staticmethod
    def _probe_keys(visitor: Visitor) -> tuple[str, ...]:
        """Refused role checks count apart from failed sign-ins (probing a button does not lock the sign-in
        page, nor a typo at sign-in the buttons): per account when signed in, else per address. Not per
        address when signed in, because a campus behind one address must not lose its staff tools to one
        learner's clicks; the learner's own account is slowed instead."""
        if visitor.account is not None:
            return (f"refused-account:{visitor.account.key}",)
        return (f"refused-address:{visitor.address}",)


__all__ = ["NEEDS", "Access", "AccessRefused", "Verdict", "Visitor", "parse_networks"]
