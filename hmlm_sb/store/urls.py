"""Store addresses: which backend a ``--db`` value names, a checked Neo4j URL, and the
URL as it may be shown (a password never is)."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from hmlm_sb.errors import StoreError, shorten

NEO4J_SCHEMES = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")
DEFAULT_BOLT_PORT = 7687


def is_neo4j_url(url: str) -> bool:
    return str(url).startswith(NEO4J_SCHEMES)


@dataclass(frozen=True)
class Neo4jAddress:
    driver_url: str  # what the driver gets: no user information
    shown: str  # what messages show: user kept, password as ***
    host: str
    port: int
    username: str | None = None
    password: str | None = None


def parse_neo4j_url(url: str) -> Neo4jAddress:
    """Check a neo4j:// / bolt:// URL: a host, a port in 1-65535; ``user:password@`` is
    taken out (the driver gets it as credentials, messages show ``user:***@``)."""
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise StoreError(f"bad Neo4j URL {shorten(shown)}: {exc}") from None
    hostport = parts.netloc.rpartition("@")[2]
    host, port_text = _split_hostport(hostport)
    if not host:
        raise StoreError(f"bad Neo4j URL {shorten(shown)}: no host (e.g. bolt://localhost:7687)")
    if port_text is None or port_text == "":
        port = DEFAULT_BOLT_PORT
    elif not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise StoreError(f"bad Neo4j URL {shorten(shown)}: port {shorten(port_text, 20)} is not a number "
                         "in 1-65535")
    else:
        port = int(port_text)
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    driver_url = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    return Neo4jAddress(driver_url, shown, host, port, username, password)


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (other values unchanged)."""
    text = str(url)
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    netloc_end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    netloc, tail = rest[:netloc_end], rest[netloc_end:]
    userinfo, at, hostport = netloc.rpartition("@")
    if not at:
        return text
    user, colon, _ = userinfo.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{hostport}{tail}"


def _split_hostport(hostport: str) -> tuple[str, str | None]:
    if hostport.startswith("["):  # [IPv6]:port
        end = hostport.find("]")
        if end < 0:
            return "", None
        rest = hostport[end + 1:]
        return hostport[1:end], rest[1:] if rest.startswith(":") else None
    host, colon, port = hostport.rpartition(":")
    return (host, port) if colon else (hostport, None)
