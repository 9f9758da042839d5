"""Secure defaults: private files, loopback only, TLS that checks out against the
kubeconfig's CA."""

import os
import re
import socket
import ssl
import stat
import subprocess

import requests


def listening_sockets(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket in LISTEN state that the process owns."""
    inodes = set()
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue
        match = re.fullmatch(r"socket:\[(\d+)\]", target)
        if match:
            inodes.add(match.group(1))
    found = []
    for table, width in [("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)]:
        with open(table) as fh:
            next(fh)
            for line in fh:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state != "0A" or inode not in inodes:  # 0A = LISTEN
                    continue
                addr_hex, port_hex = local.split(":")
                found.append((decode_address(addr_hex, width), int(port_hex, 16)))
    return found


def decode_address(hex_addr: str, width: int) -> str:
    raw = bytes.fromhex(hex_addr)
    if width == 8:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    # /proc stores IPv6 as four little-endian 32-bit words.
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


def test_data_dir_and_files_are_private(server):
    mode = stat.S_IMODE(server.data_dir.stat().st_mode)
    assert mode == 0o700, f"data dir mode {oct(mode)}"
    files = [p for p in server.data_dir.rglob("*") if p.is_file()]
    assert server.kubeconfig in files
    for path in files:
        file_mode = stat.S_IMODE(path.stat().st_mode)
        assert file_mode & 0o077 == 0, f"{path} is readable by others: {oct(file_mode)}"
    assert stat.S_IMODE(server.kubeconfig.stat().st_mode) == 0o600
    for path in [p for p in server.data_dir.rglob("*") if p.is_dir()]:
        dir_mode = stat.S_IMODE(path.stat().st_mode)
        assert dir_mode & 0o077 == 0, f"{path} is open to others: {oct(dir_mode)}"


def test_listens_only_on_loopback(server):
    sockets = listening_sockets(server.proc.pid)
    assert ("127.0.0.1", server.port) in sockets
    for address, port in sockets:
        assert address in ("127.0.0.1", "::1"), f"listening on {address}:{port}"


def test_default_listen_address_is_loopback(berth_bin):
    help_text = subprocess.run(
        [str(berth_bin), "server", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"--listen <[A-Z_]+>.*?\[default: 127\.0\.0\.1:6443\]", help_text, re.S), (
        help_text
    )


def test_tls_certificate_matches_kubeconfig_ca(server):
    context = ssl.create_default_context(cafile=str(server.ca_path))
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_plain_http_is_not_served(server):
    session = requests.Session()
    session.trust_env = False
    try:
        resp = session.get(f"http://127.0.0.1:{server.port}/api", timeout=5)
    except requests.RequestException:
        return
    assert resp.status_code == 400, "the API answered over plain HTTP"


def test_readyz_needs_no_token_but_the_api_does(server):
    anonymous = server.session(token=None)
    assert anonymous.get(server.url("/readyz"), timeout=5).status_code == 200
    assert anonymous.get(server.url("/api/v1/secrets"), timeout=5).status_code == 401
