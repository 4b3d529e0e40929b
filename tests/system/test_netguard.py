"""The address policy: every spelling of an internal address is refused unless allowed."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from spotsyncd.system.netguard import (
    AddressPolicy,
    BlockedAddressError,
    GuardedResolver,
    kind_of,
    parse_allowance,
)

DEFAULT = AddressPolicy()

INTERNAL = {
    "127.0.0.1": "loopback",
    "169.254.169.254": "link-local",
    "10.0.0.1": "private",
    "192.168.1.1": "private",
    "172.16.5.4": "private",
    "0.0.0.0": "unspecified",
    "224.0.0.1": "multicast",
    "240.0.0.1": "private",  # Python files 240/4 under is_private as well as is_reserved
    "100.64.0.1": "non-public",
    "::1": "loopback",
    "fd00:ec2::254": "private",
    "fe80::1": "link-local",
    "::": "unspecified",
    "ff02::1": "multicast",
    "::ffff:127.0.0.1": "loopback",
    "::ffff:169.254.169.254": "link-local",
    "64:ff9b::a00:1": "private",  # NAT64 of 10.0.0.1
    "2002:7f00:1::": "loopback",  # 6to4 of 127.0.0.1
}


@pytest.mark.parametrize(("address", "kind"), sorted(INTERNAL.items()))
def test_internal_addresses_have_a_kind(address: str, kind: str) -> None:
    assert kind_of(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_pass(address: str) -> None:
    assert kind_of(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "::1", "0", "2130706433", "0x7f000001", "127.1", "0177.0.0.1",
     "169.254.169.254", "fd00:ec2::254", "10.0.0.1", "192.168.1.1", "::ffff:7f00:1"],
)  # fmt: skip
def test_every_numeric_spelling_is_refused_by_default(host: str) -> None:
    """The system resolver turns each spelling into its address (numeric: no lookup is sent),
    and the address is what is judged."""
    with pytest.raises(BlockedAddressError, match="network.allow_private"):
        GuardedResolver(DEFAULT)(host, 80, 0, socket.SOCK_STREAM)


def test_a_public_address_passes_the_real_resolver() -> None:
    (result,) = GuardedResolver(DEFAULT)("93.184.216.34", 80, 0, socket.SOCK_STREAM)
    assert result[4][0] == "93.184.216.34"


def _fake_dns(table: dict[str, list[str]]) -> Any:
    def resolve(host: str, port: Any, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in table[host]
        ]

    return resolve


def test_the_resolver_returns_only_what_it_checked() -> None:
    resolver = GuardedResolver(DEFAULT, _fake_dns({"mixed.test": ["127.0.0.1", "93.184.216.34"]}))
    (only,) = resolver("mixed.test", 80)
    assert only[4][0] == "93.184.216.34"  # the connection can only go to the public one


def test_a_name_that_resolves_inward_is_refused_with_the_key_to_set() -> None:
    resolver = GuardedResolver(DEFAULT, _fake_dns({"router.test": ["192.168.1.1"]}))
    with pytest.raises(BlockedAddressError, match=r"router.test \(192.168.1.1\).*allow_private"):
        resolver("router.test", 80)


def test_rebinding_cannot_change_the_answer_after_the_check() -> None:
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])

    def rebinding(host: str, port: Any, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        return _fake_dns({host: next(answers)})(host, port)

    resolver = GuardedResolver(DEFAULT, rebinding)
    first = resolver("rebind.test", 80)
    assert [r[4][0] for r in first] == ["93.184.216.34"]
    with pytest.raises(BlockedAddressError):
        resolver("rebind.test", 80)  # a second lookup is checked again, never trusted


def test_allowances_by_switch_host_and_network() -> None:
    everything = AddressPolicy.from_setting(True)
    assert everything.refusal("nas", ipaddress.ip_address("192.168.1.5")) is None
    listed = AddressPolicy.from_setting(["nas.local", "192.168.1.0/24"])
    assert listed.refusal("nas.local", ipaddress.ip_address("10.1.1.1")) is None
    assert listed.refusal("other", ipaddress.ip_address("192.168.1.77")) is None
    assert listed.refusal("other", ipaddress.ip_address("192.168.2.1")) is not None
    assert listed.refusal("other", ipaddress.ip_address("127.0.0.1")) is not None
    trusted = AddressPolicy.from_setting(False, trusted_hosts=["Jellyfin.LAN."])
    assert trusted.refusal("jellyfin.lan", ipaddress.ip_address("10.0.0.9")) is None
    assert trusted.refusal("elsewhere", ipaddress.ip_address("10.0.0.9")) is not None


def test_a_bad_allowance_names_the_entry() -> None:
    with pytest.raises(ValueError, match="'not a host'"):
        parse_allowance(["not a host"])
