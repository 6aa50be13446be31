"""LLM backends behind one small interface (``ChatModel``), one module per backend."""

from recpilot.llm.base import ChatModel, LLMCall, LLMResponse, Message, Usage, build_chat_model

__all__ = ["ChatModel", "LLMCall", "LLMResponse", "Message", "Usage", "build_chat_model"]
