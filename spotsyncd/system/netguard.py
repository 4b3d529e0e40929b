"""The address check every fetch decided by a link, a feed entry, a playlist entry or a redirect
goes through: resolve the host once, refuse loopback, private, link-local, unique-local, multicast,
unspecified and reserved addresses unless ``network.allow_private`` allows them, and hand back
only the addresses checked, so the connection goes to one of them (no second lookup: a DNS answer
that changes between the check and the connect — rebinding — cannot slip through).

Every numeric spelling of an address (``2130706433``, ``0x7f000001``, ``127.1``, ``0``, IPv4-mapped
IPv6) is judged after the resolver has turned it into an address, so none is special-cased.
Hosts the configuration itself names (media servers, LRCLIB, a PO-token provider, check URLs) are
the user's own choice and pass. Pure policy plus one wrapped ``getaddrinfo``.
"""

from __future__ import annotations

import inspect
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
AddrInfo = list[tuple[Any, ...]]

BLOCKED_PHRASE = "refused to fetch from"  # starts every refusal; error classifiers look for it
HOW_TO_ALLOW = (
    "set network.allow_private: true (or a list of your own hosts and networks, e.g. "
    "[nas.local, 192.168.1.0/24]) to fetch from your own network"
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class BlockedAddressError(OSError):
    """A fetch was refused because its host is (or resolves to) an internal address."""

    error_class = "blocked_address"


def kind_of(address: Address) -> str | None:
    """Why ``address`` is internal (``"loopback"``, ``"private"`` …), or None when public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return kind_of(embedded)
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("unique-local", isinstance(address, ipaddress.IPv6Address) and address.is_site_local),
    )
    for name, hit in checks:
        if hit:
            return name
    if not address.is_global:
        return "non-public"  # shared address space (100.64/10) and other special ranges
    return None


def parse_allowance(values: Iterable[str]) -> tuple[frozenset[str], tuple[Network, ...]]:
    """``network.allow_private`` as a list: host names and networks (``192.168.1.0/24``, or one
    address). Raises ValueError naming the entry that is neither."""
    hosts: set[str] = set()
    networks: list[Network] = []
    for value in values:
        text = str(value).strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
            continue
        except ValueError:
            pass
        if any(ch.isspace() for ch in text) or "/" in text:
            raise ValueError(f"{text!r} is neither a host name nor an address or network")
        hosts.add(text.lower().rstrip("."))
    return frozenset(hosts), tuple(networks)


@dataclass(frozen=True)
class AddressPolicy:
    """Which internal addresses a fetch may reach: none by default."""

    allow_all: bool = False
    hosts: frozenset[str] = frozenset()  # named by the user or the configuration
    networks: tuple[Network, ...] = ()

    @classmethod
    def from_setting(
        cls, setting: bool | Iterable[str], trusted_hosts: Iterable[str] = ()
    ) -> AddressPolicy:
        named = {h.lower().rstrip(".") for h in trusted_hosts if h}
        if setting is True:
            return cls(allow_all=True, hosts=frozenset(named))
        if not setting:
            return cls(hosts=frozenset(named))
        hosts, networks = parse_allowance(setting)
        return cls(hosts=frozenset(named | hosts), networks=networks)

    def refusal(self, host: str, address: Address) -> str | None:
        """Why ``host`` at ``address`` may not be fetched, or None when it may."""
        kind = kind_of(address)
        if kind is None or self.allow_all:
            return None
        if host.lower().rstrip(".") in self.hosts or any(address in n for n in self.networks):
            return None
        shown = host if host == str(address) else f"{host} ({address})"
        return f"{BLOCKED_PHRASE} {shown}: a {kind} address; {HOW_TO_ALLOW}"


@dataclass
class GuardedResolver:
    """``getaddrinfo`` that returns only the addresses ``policy`` permits, and raises
    :class:`BlockedAddressError` when it permits none of them."""

    policy: AddressPolicy
    resolve: Callable[..., AddrInfo] = field(default=socket.getaddrinfo)

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> AddrInfo:
        results = self.resolve(host, port, *args, **kwargs)
        name = host.decode() if isinstance(host, bytes) else str(host)
        allowed: AddrInfo = []
        refused: str | None = None
        for result in results:
            try:
                address = ipaddress.ip_address(str(result[4][0]).split("%", 1)[0])
            except ValueError:
                continue
            why = self.policy.refusal(name, address)
            if why is None:
                allowed.append(result)
            else:
                refused = refused or why
        if results and not allowed:
            raise BlockedAddressError(refused or f"{BLOCKED_PHRASE} {name}")
        return allowed


_scope = threading.local()


@contextmanager
def guarding(policy: AddressPolicy | None) -> Iterator[None]:
    """Within this block, on this thread, every lookup made through a module that
    :func:`install_scoped_resolver` prepared obeys ``policy`` (None: no check)."""
    previous = getattr(_scope, "policy", None)
    _scope.policy = policy
    try:
        yield
    finally:
        _scope.policy = previous


def current_policy() -> AddressPolicy | None:
    return getattr(_scope, "policy", None)


class ScopedSocketModule:
    """The ``socket`` module as one library module sees it, with ``getaddrinfo`` obeying the
    calling thread's :func:`guarding` policy. Lookups outside any such block are untouched, so
    other users of the same library in this process (Spotify's client, the media servers') are
    not affected."""

    def getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> AddrInfo:
        policy = current_policy()
        if policy is None:
            return socket.getaddrinfo(host, port, *args, **kwargs)
        return GuardedResolver(policy)(host, port, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(socket, name)


def install_scoped_resolver(module: Any, function: str = "create_connection") -> None:
    """Point ``module``'s ``socket`` at a :class:`ScopedSocketModule`. Refuses (SystemProblem)
    when ``module.function`` no longer resolves through ``socket.getaddrinfo``: a library update
    changed how it connects, and an unchecked connection must not pass silently."""
    from spotsyncd.core.errors import SystemProblem

    if isinstance(getattr(module, "socket", None), ScopedSocketModule):
        return  # prepared already: the source check reads files, once is enough
    connect = getattr(module, function, None)
    try:
        source = inspect.getsource(connect) if callable(connect) else ""
    except (OSError, TypeError):
        source = ""
    if "socket.getaddrinfo" not in source or not hasattr(module, "socket"):
        raise SystemProblem(
            f"{module.__name__}.{function} no longer connects in a way spotsyncd can check for "
            "internal addresses; reinstall spotsyncd with its tested versions "
            "(pip install --force-reinstall spotsyncd) or report it"
        )
    module.socket = ScopedSocketModule()


def refusal_in(exc: BaseException) -> str | None:
    """The address check's refusal anywhere in ``exc``'s chain: requests, urllib3 and yt-dlp
    wrap it (in ``args``, a cause, a ``reason`` or ``exc_info``)."""
    seen: set[int] = set()
    pending: list[object] = [exc]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, BlockedAddressError):
            return str(current)
        exc_info = getattr(current, "exc_info", None)
        pending += [current.__cause__, current.__context__, getattr(current, "reason", None)]
        pending += list(current.args)
        pending += list(exc_info) if isinstance(exc_info, tuple) else []
    return None
