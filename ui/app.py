"""The one server: HTTP API under ``/v1``, MCP at ``/mcp``, the chat page at ``/ui`` (``/`` redirects),
``/healthz``, OpenAPI at ``/openapi.json`` and ``/docs``. All of it over one ``Service``."""

from __future__ import annotations

from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from recpilot.agent.agent import RecPilot
from recpilot.settings import Settings
from recpilot.ui import __version__
from recpilot.ui.api import install_error_handlers
from recpilot.ui.models import Health
from recpilot.ui.security import Guard, Tokens, allowed_hosts, is_loopback
from recpilot.ui.service import Service

FAVICON_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" '
               'fill="#4f46e5"/><path d="M18 46V18h14a9 9 0 0 1 0 18H26m6 0 10 10" stroke="#fff" stroke-width="6" '
               'fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>')

DESCRIPTION = """A conversational recommender over a real catalog.

**Identity.** Send `X-User-Id: NAME` (letters, digits, `. _ - @`); without it you are `default`.
A session belongs to its user: another user gets 404. When the server has `RECPILOT_API_TOKEN`
set, every `/v1` and `/mcp` request needs `Authorization: Bearer TOKEN`; with per-user tokens
(`alice:TOKEN1,bob:TOKEN2`) the token names the user and a different `X-User-Id` is refused (403).

**Limits.** Request bodies over the configured size get 413; a body that is not plain JSON
(NaN, Infinity, lone surrogates, nesting or width beyond any route's), a message longer than the
utterance limit, or a constraint the catalog cannot apply gets 422 (which never echoes the
input). Too many requests from one user or address get 429 with Retry-After. On loopback,
`/v1` and `/mcp` answer only loopback Host names (421 otherwise). Turns on one session run one
at a time, across every worker; a turn that waits too long for its session gets 409.
"""


def build_app(settings: Settings, agent: RecPilot | None = None, *, web: bool = True, mcp: bool = True,
              host: str | None = None) -> FastAPI:
    """The ASGI app. ``host`` is where it will listen (it scopes MCP's DNS-rebinding protection)."""
    agent = agent or RecPilot.from_settings(settings)
    service = Service(agent)
    tokens = Tokens.from_settings(settings)
    bind = host or settings.server.host
    hosts = allowed_hosts(bind, settings)
    mcp_server = None
    if mcp:
        from recpilot.ui.mcp_server import build_mcp

        mcp_server = build_mcp(service)
        mcp_app = mcp_server.streamable_http_app(streamable_http_path="/mcp", stateless_http=True,
                                                 json_response=True, host=bind,
                                                 transport_security=_mcp_security(hosts) if is_loopback(bind) else None)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        async with AsyncExitStack() as stack:
            if mcp_server is not None:
                await stack.enter_async_context(mcp_server.session_manager.run())
            yield

    app = FastAPI(title="RecPilot", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.service = service
    install_error_handlers(app)

    @app.get("/healthz", response_model=Health, tags=["health"])
    def healthz() -> Health:
        return Health(catalog=agent.catalog.name, items=len(agent.catalog), llm_backend=settings.llm.backend,
                      version=__version__)

    from recpilot.ui import routes_items, routes_memory, routes_openai, routes_sessions

    for module in (routes_sessions, routes_items, routes_memory, routes_openai):
        app.include_router(module.router)
    if mcp_server is not None:
        app.router.routes.extend(mcp_app.routes)  # POST/GET/DELETE /mcp
    server = settings.server
    app.add_middleware(Guard, tokens=tokens, max_body=server.max_body_bytes,
                       hosts=hosts, rate_per_user=server.rate_per_user,
                       rate_per_ip=server.rate_per_ip)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(FAVICON_SVG, media_type="image/svg+xml", headers={"cache-control": "max-age=86400"})

    @app.get("/manifest.json", include_in_schema=False)
    def manifest() -> JSONResponse:
        return JSONResponse({"name": "RecPilot", "short_name": "RecPilot", "start_url": "/ui/",
                             "display": "standalone", "background_color": "#ffffff", "theme_color": "#4f46e5",
                             "icons": [{"src": "/favicon.ico", "type": "image/svg+xml", "sizes": "any"}]})

    if web:
        import gradio as gr

        from recpilot.ui.web import build_web
        from recpilot.ui.web_style import CSS

        @app.get("/", include_in_schema=False)
        def root(request: Request) -> RedirectResponse:
            query = f"?{request.url.query}" if request.url.query else ""
            return RedirectResponse(f"/ui/{query}")

        blocks = build_web(service, login_required=tokens.required)
        gr.mount_gradio_app(app, blocks, path="/ui", footer_links=[], show_error=False, css=CSS,
                            theme=gr.themes.Soft(primary_hue="indigo", secondary_hue="sky"),
                            auth=tokens.login if tokens.required else None,
                            auth_message="Sign in with your name and the API token." if tokens.required else None)
    return app


def _mcp_security(hosts: frozenset[str]):
    """On loopback, MCP's own Host/Origin check agrees with the Guard's: the same names, with or
    without a port (MCP's default refuses a name ``server.allowed_hosts`` adds). Beyond loopback
    MCP's default stands (off: the token guards, and the Guard checks Host)."""
    from mcp.server.transport_security import TransportSecuritySettings

    names = sorted(f"[{h}]" if ":" in h else h for h in hosts)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=[*names, *(f"{n}:*" for n in names)],
        allowed_origins=[f"{scheme}://{n}{port}" for scheme in ("http", "https") for n in names for port in ("", ":*")])


def app_from_env() -> FastAPI:
    """The app of one worker of ``recpilot serve --workers N`` (a uvicorn factory)."""
    from recpilot.ui.workers import settings_from_env

    settings, host = settings_from_env()
    return build_app(settings, host=host)
