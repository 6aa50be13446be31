"""``recpilot chat`` (terminal conversation) and ``recpilot ask`` (one turn)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from recpilot.cli.options import MaybeSessionOpt, UserOpt
from recpilot.ids import DEFAULT_USER

if TYPE_CHECKING:  # the agent loads only when a command runs, so --help stays fast
    from recpilot.agent.agent import RecPilot
    from recpilot.agent.steps import TurnResult


def register(app: typer.Typer) -> None:
    app.command("ask")(ask_cmd)
    app.command("chat")(chat_cmd)


def _agent(ctx: typer.Context) -> RecPilot:
    from recpilot.embeddings import warm_up

    warm_up(ctx.obj.embedding.batch_size)  # on its own thread, while the agent's code and catalog load
    from recpilot.agent.agent import RecPilot

    return RecPilot.from_settings(ctx.obj, notify=lambda m: typer.echo(m, err=True))


def ask_cmd(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="what you say")],
    user: UserOpt = DEFAULT_USER,
    session: MaybeSessionOpt = None,
    k: Annotated[int | None, typer.Option(help="how many items", min=1, max=50)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    steps: Annotated[bool, typer.Option(help="also print each step of the turn")] = False,
) -> None:
    """One turn: prints the recommendations (or one JSON object with --json)."""
    from recpilot.agent.loop import TurnTrace

    agent = _agent(ctx)
    trace = TurnTrace()
    for step in agent.turn(text, session, user, k):
        trace.add(step)
        if steps and not as_json:
            typer.echo(_step_line(step), err=True)
    result = trace.result
    if as_json:
        typer.echo(result.model_dump_json())
    else:
        _print_result(result)


def chat_cmd(
    ctx: typer.Context,
    user: UserOpt = DEFAULT_USER,
    session: MaybeSessionOpt = None,
    k: Annotated[int | None, typer.Option(help="how many items", min=1, max=50)] = None,
) -> None:
    """Chat in the terminal. Type /state, /new, /remove KEY or /quit."""
    from recpilot.cli.session_cmds import removable_keys

    agent = _agent(ctx)
    sess = agent.store.get_or_create(session, user, agent.catalog.name)
    typer.echo(f"RecPilot — {agent.catalog.name} catalog, {len(agent.catalog)} items; session {sess.id}, "
               f"user {user}. /quit to leave.")
    while True:
        try:
            text = input("you> ")
        except (EOFError, KeyboardInterrupt):
            typer.echo("")
            break
        cmd = text.strip()
        if cmd in ("/quit", "/exit"):
            break
        if cmd == "/state":
            typer.echo(_state_lines(agent.session(sess.id).state))
            continue
        if cmd == "/new":
            sess = agent.store.create(user, agent.catalog.name)
            typer.echo(f"new session {sess.id}")
            continue
        if cmd.startswith("/remove "):
            key = cmd.split(" ", 1)[1].strip()
            if key.lower() not in removable_keys(agent.session(sess.id).state):
                typer.echo(f"  no entry {key!r}; /state lists the keys in [brackets]")
                continue
            state = agent.edit_state(sess.id, remove=[key])
            typer.echo(_state_lines(state))
            continue
        result = agent.ask(text, sess.id, user, k)
        _print_result(result)
        typer.echo(_state_lines(result.state))
    typer.echo(f"bye — resume with: recpilot chat --session {sess.id} --user {user}")


def _print_result(result: TurnResult) -> None:
    typer.echo(f"recpilot> {result.message}")
    for i, item in enumerate(result.items, 1):
        typer.echo(f"  {i}. [{item.id}] {item.title} — {item.reason}")
    if result.question:
        typer.echo(f"  {result.question}")
    for w in result.warnings:
        typer.echo(f"  (note: {w})", err=True)
    u = result.usage
    typer.echo(f"  [{u.llm_calls} LLM calls, {u.prompt_tokens}+{u.completion_tokens} tokens, {u.latency_ms:.0f} ms]",
               err=True)


def _state_lines(state) -> str:
    chips = state.chips()
    if not chips:
        return "  state: (empty)"
    return "  state: " + " | ".join(f"{c['label']} [{c['key']}]" for c in chips)


def _step_line(step) -> str:
    from recpilot.agent.steps import ParseStep, ReplyStep, ToolStep

    if isinstance(step, ParseStep):
        return f"· parse ({step.duration_ms:.0f} ms, llm={step.used_llm}, distilled={step.used_distilled}): intent={step.update.intent}"
    if isinstance(step, ToolStep):
        return f"· tool {step.tool} → {step.candidates} candidates ({step.duration_ms:.0f} ms){' ERROR ' + step.error if step.error else ''}"
    if isinstance(step, ReplyStep):
        return f"· reply ({step.duration_ms:.0f} ms){' dropped: ' + '; '.join(step.dropped) if step.dropped else ''}"
    return f"· {step.kind} ({step.duration_ms:.0f} ms)"
