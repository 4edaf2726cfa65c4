"""Where webhooks may go: the operator's allowlist (POINTS_WEBHOOK_ALLOW), checked when a URL is subscribed and
again, after resolving its host, before every delivery.

Entries are comma-separated host names (`hooks.example.gov.cn`, or `*.example.gov.cn` for its subdomains) and IP
addresses or networks (`10.20.0.0/16`, `127.0.0.1`). Empty allows nothing, loopback included.
- A host name entry allows that name over https only, and only while it resolves to public addresses: an
  internal address (loopback, private, link-local, ...) must itself be listed as an address or network, so a
  name that later resolves inward (DNS rebinding) is refused at delivery.
- An address or network entry allows URLs naming such an address literally, over https or http (a private
  network the operator vouches for, such as the 医保专网).
Delivery connects to the address that was checked, never to a second resolution of the name."""
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class DestinationRefused(Exception):
    """The destination is not on the allowlist."""


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
    return address.ipv4_mapped or address if isinstance(address, ipaddress.IPv6Address) else address


def _port(parts: SplitResult) -> int:
    try:
        port = parts.port
    except ValueError:
        raise DestinationRefused("the URL's port is not a number") from None
    return port or (443 if parts.scheme == "https" else 80)


@dataclass(frozen=True)
class Target:
    """A checked destination: connect to `address`, speak to `host` (Host header, TLS server name)."""
    scheme: str
    host: str
    address: str
    port: int


class Allowlist:
    def __init__(self, spec: str):
        self.names: set[str] = set()
        self.suffixes: list[str] = []
        self.networks: list[Network] = []
        for entry in (e.strip().lower() for e in spec.split(",")):
            if not entry:
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if entry.startswith("*."):
                    self.suffixes.append(entry[1:])
                else:
                    self.names.add(entry.rstrip("."))

    def _listed_name(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return host in self.names or any(host.endswith(s) for s in self.suffixes)

    def _listed_address(self, address: Address) -> bool:
        return any(address in network for network in self.networks)

    def check_url(self, url: str) -> SplitResult:
        """At subscription: the URL names a listed address, or a listed name over https. Raises DestinationRefused."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        _port(parts)
        literal = _address(host)
        if literal is not None:
            if not self._listed_address(literal):
                raise DestinationRefused(f"address {host} is not on the webhook allowlist")
        elif not self._listed_name(host):
            raise DestinationRefused(f"host {host} is not on the webhook allowlist")
        elif parts.scheme != "https":
            raise DestinationRefused("a host name needs an https URL (http only for allowlisted addresses)")
        return parts

    def allows_resolved(self, address: Address, by_name: bool) -> bool:
        """A resolved address: listed itself, or reached through a listed name and public."""
        return self._listed_address(address) or (by_name and address.is_global)

    def resolve(self, url: str, resolver=socket.getaddrinfo) -> Target:
        """At delivery: check the URL again, resolve its host, and refuse unless every address is allowed.
        Raises DestinationRefused, or OSError when the name does not resolve."""
        parts = self.check_url(url)
        host, port = parts.hostname, _port(parts)
        literal = _address(host)
        if literal is not None:
            addresses = [literal]
        else:
            addresses = [_address(info[4][0]) for info in resolver(host, port, type=socket.SOCK_STREAM)]
        if not addresses or any(a is None or not self.allows_resolved(a, literal is None) for a in addresses):
            raise DestinationRefused(f"host {host} resolves to an address that is not allowed")
        return Target(parts.scheme, host, str(addresses[0]), port)
