"""Text of a container's /etc/hosts and /etc/resolv.conf, in Docker's form."""
from __future__ import annotations

from ..errors import InvalidArgument

DEFAULT_HOSTS = ("127.0.0.1\tlocalhost\n"
                 "::1\tlocalhost ip6-localhost ip6-loopback\n"
                 "fe00::0\tip6-localnet\n"
                 "ff00::0\tip6-mcastprefix\n"
                 "ff02::1\tip6-allnodes\n"
                 "ff02::2\tip6-allrouters\n")
EMBEDDED_DNS = "127.0.0.11"
FALLBACK_NAMESERVERS = ("8.8.8.8", "8.8.4.4")       # Docker's when the host has only loopback ones


def parse_extra_hosts(extra_hosts) -> list[tuple[str, str]]:
    """"name:ip" / "name=ip" (ip may be IPv6) -> [(ip, name)]; "host-gateway" is kept as is."""
    out = []
    for entry in extra_hosts:
        sep = "=" if "=" in entry else ":"
        name, _, ip = entry.partition(sep)
        ip = ip.strip().strip("[]")
        if not name or not ip:
            raise InvalidArgument(f"invalid extra_hosts entry {entry!r}: expected host:ip")
        if ip != "host-gateway":
            import ipaddress            # only for extra_hosts (a hot connect never needs it)
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                raise InvalidArgument(f"invalid IP address in extra_hosts entry {entry!r}") from None
        out.append((ip, name.strip()))
    return out


def hosts_text(hostname: str, domainname: str, ip: str, extra_hosts, gateway: str = "",
               ip6: str = "") -> str:
    """``ip6``: the container's IPv6 address on an IPv6 network (a second line, like Docker)."""
    text = DEFAULT_HOSTS
    for host_ip, name in parse_extra_hosts(extra_hosts):
        if host_ip == "host-gateway":
            host_ip = gateway or "127.0.0.1"
        text += f"{host_ip}\t{name}\n"
    fqdn = f"{hostname}.{domainname}" if domainname else hostname
    names = fqdn if "." not in fqdn else f"{fqdn} {fqdn.split('.', 1)[0]}"
    for addr in (ip, ip6):
        if addr:
            text += f"{addr}\t{names}\n"
    return text


def host_resolv(path: str = "/etc/resolv.conf") -> tuple[list[str], list[str], list[str]]:
    """(nameservers, search domains, options) of the host."""
    servers, search, options = [], [], []
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if fields[0] == "nameserver" and len(fields) > 1:
            servers.append(fields[1])
        elif fields[0] in ("search", "domain"):
            search = fields[1:]
        elif fields[0] == "options":
            options += fields[1:]
    return servers, search, options


def upstream_servers(dns, *, from_host_ns: bool = True) -> list[str]:
    """Where names the embedded DNS does not know go: the container's dns or the host's.

    netd forwards from the host's network namespace, so a loopback resolver of the host
    (e.g. systemd-resolved's 127.0.0.53) works there; inside a container it would not."""
    servers = [s for s in (list(dns) or host_resolv()[0]) if ":" not in s]
    usable = servers if from_host_ns else [s for s in servers if not _is_loopback(s)]
    return usable or list(FALLBACK_NAMESERVERS)


def _is_loopback(addr: str) -> bool:
    import ipaddress
    try:
        return ipaddress.ip_address(addr).is_loopback
    except ValueError:
        return True


def resolv_text(*, embedded: bool, dns=(), dns_search=(), dns_opt=()) -> str:
    _, host_search, host_opts = host_resolv()
    search = list(dns_search) or host_search
    if embedded:
        servers = [EMBEDDED_DNS]
        options = ["ndots:0"] + [o for o in (list(dns_opt) or host_opts) if not o.startswith("ndots:")]
        if any(o.startswith("ndots:") for o in dns_opt):
            options = list(dns_opt)
    else:
        servers = list(dns) or upstream_servers((), from_host_ns=False)
        options = list(dns_opt) or host_opts
    lines = [f"nameserver {s}" for s in servers]
    if search and search != ["."]:
        lines.append("search " + " ".join(search))
    if options:
        lines.append("options " + " ".join(options))
    text = "\n".join(lines) + "\n"
    if embedded:
        text += f"\n# ExtServers: [{' '.join(upstream_servers(dns))}]\n"
    return text
