"""``recpilot serve`` (web page + HTTP API + MCP over HTTP, one process) and ``recpilot mcp`` (stdio)."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)
    app.command("mcp")(mcp_cmd)


def serve_cmd(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="interface to listen on (default 127.0.0.1; beyond "
                                                  "loopback needs RECPILOT_API_TOKEN)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default 7860)", min=1, max=65535)] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes (default 1); they share the session "
                                                     "store: the SQLite file under home, or RECPILOT_DATABASE_URL",
                                                min=1, max=64)] = None,
) -> None:
    """Serve the chat page (/), the HTTP API (/v1, docs at /docs) and MCP (/mcp)."""
    import uvicorn

    from recpilot.ingest import ensure_catalog
    from recpilot.ui.security import Tokens, check_bind
    from recpilot.ui.workers import SETTINGS_ENV, settings_for_workers

    settings = ctx.obj
    host = host or settings.server.host
    port = port or settings.server.port
    workers = workers or settings.server.workers
    check_bind(host, settings)
    tokens = Tokens.from_settings(settings)  # a malformed or empty token stops here, not in a worker
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}"
    if workers == 1:
        from recpilot.agent.agent import RecPilot
        from recpilot.ui.app import build_app

        agent = RecPilot.from_settings(settings, notify=lambda m: typer.echo(m, err=True))
        target = build_app(settings, agent, host=host)
    else:
        # each worker builds its own agent from these settings; the catalog is prepared once here
        ensure_catalog(settings, lambda m: typer.echo(m, err=True))
        os.environ[SETTINGS_ENV] = settings_for_workers(settings, host)
        target = "recpilot.ui.app:app_from_env"
    typer.echo(f"RecPilot on {url}/  (chat page; HTTP API {url}/v1, docs {url}/docs, MCP {url}/mcp)"
               + (f"; {workers} workers" if workers > 1 else ""))
    if tokens.required:
        typer.echo("API token required: send 'Authorization: Bearer TOKEN'; the page asks for it at sign-in.")
    uvicorn.run(target, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5,
                workers=workers if workers > 1 else None, factory=workers > 1)


def mcp_cmd(ctx: typer.Context) -> None:
    """MCP server over stdio (for agents that start RecPilot as a subprocess)."""
    from recpilot.agent.agent import RecPilot
    from recpilot.ui.mcp_server import run_stdio
    from recpilot.ui.service import Service

    # stdout carries the protocol: anything a library prints while loading goes to stderr
    with contextlib.redirect_stdout(sys.stderr):
        agent = RecPilot.from_settings(ctx.obj, notify=lambda m: typer.echo(m, err=True))
    run_stdio(Service(agent))
