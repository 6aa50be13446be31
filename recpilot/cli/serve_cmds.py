"""``recpilot serve`` (web page + HTTP API + MCP over HTTP, one process) and ``recpilot mcp`` (stdio)."""

from __future__ import annotations

import contextlib
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
) -> None:
    """Serve the chat page (/), the HTTP API (/v1, docs at /docs) and MCP (/mcp) in one process."""
    import uvicorn

    from recpilot.agent.agent import RecPilot
    from recpilot.ui.app import build_app
    from recpilot.ui.security import check_bind

    settings = ctx.obj
    host = host or settings.server.host
    port = port or settings.server.port
    check_bind(host, settings)
    agent = RecPilot.from_settings(settings, notify=lambda m: typer.echo(m, err=True))
    app = build_app(settings, agent, host=host)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}"
    typer.echo(f"RecPilot on {url}/  (chat page; HTTP API {url}/v1, docs {url}/docs, MCP {url}/mcp)")
    if settings.api_token is not None:
        typer.echo("API token required: send 'Authorization: Bearer TOKEN'; the page asks for it at sign-in.")
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)


def mcp_cmd(ctx: typer.Context) -> None:
    """MCP server over stdio (for agents that start RecPilot as a subprocess)."""
    from recpilot.agent.agent import RecPilot
    from recpilot.ui.mcp_server import run_stdio
    from recpilot.ui.service import Service

    # stdout carries the protocol: anything a library prints while loading goes to stderr
    with contextlib.redirect_stdout(sys.stderr):
        agent = RecPilot.from_settings(ctx.obj, notify=lambda m: typer.echo(m, err=True))
    run_stdio(Service(agent))
