"""Interfaces over the one agent core: web page (Gradio), HTTP API, MCP server, LangChain tools."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("recpilot")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0"
