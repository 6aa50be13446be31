"""``recpilot ingest``, ``recpilot catalogs``, ``recpilot catalog movies`` and ``recpilot items``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

items_app = typer.Typer(help="Look up catalog items.", no_args_is_help=True)
catalog_app = typer.Typer(help="Build catalogs from public datasets.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_cmd)
    app.command("catalogs")(catalogs_cmd)
    app.add_typer(catalog_app, name="catalog")


def _progress():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), transient=False)
    tasks: dict[str, tuple[int, float]] = {}

    def update(phase: str, done: int, total: int) -> None:
        if phase not in tasks:
            tasks[phase] = (progress.add_task(phase, total=max(total, 1), rate=""), time.perf_counter())
        task, t0 = tasks[phase]
        rate = done / max(time.perf_counter() - t0, 1e-6)
        progress.update(task, completed=done, total=max(total, 1), rate=f"{rate:,.0f} items/s")

    return progress, update


def ingest_cmd(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(help="CSV, TSV, JSONL (optionally .gz) or Parquet; none: the demo")] = None,
    name: Annotated[str | None, typer.Option(help="catalog name (default: the active catalog)")] = None,
    schema: Annotated[Path | None, typer.Option(help="schema.yaml with the field mapping")] = None,
    interactions: Annotated[Path | None, typer.Option(help="user,item[,rating][,timestamp] file")] = None,
    id_field: Annotated[str | None, typer.Option(help="column holding the id")] = None,
    title_field: Annotated[str | None, typer.Option(help="column holding the title")] = None,
    text: Annotated[list[str] | None, typer.Option(help="text column(s) to embed")] = None,
    categorical: Annotated[list[str] | None, typer.Option(help="list-valued column(s)")] = None,
    people: Annotated[list[str] | None, typer.Option(help="categorical column(s) naming people")] = None,
    numeric: Annotated[list[str] | None, typer.Option(help="numeric column(s)")] = None,
    year: Annotated[str | None, typer.Option(help="numeric column holding the year")] = None,
    rating: Annotated[str | None, typer.Option(help="numeric column holding the rating")] = None,
    popularity: Annotated[str | None, typer.Option(help="numeric column holding popularity")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Ingest a catalog file (or, with no file, the bundled demo catalog)."""
    from recpilot.ingest import ingest, ingest_demo

    settings = ctx.obj
    progress, update = _progress()
    with progress:
        if file is None:
            report = ingest_demo(settings, progress=update)
        else:
            overrides = {"id": id_field, "title": title_field, "text": text, "categorical": categorical,
                         "people": people, "numeric": numeric, "year": year, "rating": rating,
                         "popularity": popularity}
            report = ingest(settings, file, name=name, schema_file=schema, overrides=overrides,
                            interactions=interactions, progress=update)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    typer.echo(f"catalog {report.catalog!r} ({report.version}): {report.items} items — "
               f"ingested {report.ingested}, updated {report.updated}, unchanged {report.unchanged}, "
               f"rejected {report.rejected}; {report.items_per_second:,.0f} items/s")
    if report.interactions or report.interactions_rejected:
        typer.echo(f"interactions: {report.interactions} stored, {report.interactions_rejected} rejected")
    for err in report.errors[:20]:
        typer.echo(f"  line {err.line}: {err.reason}", err=True)
    if report.rejected > 20:
        typer.echo(f"  … {report.rejected - 20} more rejected rows", err=True)


def catalogs_cmd(ctx: typer.Context) -> None:
    """List ingested catalogs."""
    from recpilot.catalog import list_catalogs, load_catalog
    from recpilot.ingest import DEMO_DIR

    settings = ctx.obj
    for name in list_catalogs(settings):
        cat = load_catalog(settings, name)
        mark = "*" if name == settings.catalog else " "
        typer.echo(f"{mark} {name}\t{len(cat)} items\t{cat.version}")
    if not list_catalogs(settings):
        typer.echo(f"no catalogs yet; `recpilot ingest` ingests the demo from {DEMO_DIR}")


@catalog_app.command("movies")
def movies_cmd(
    ctx: typer.Context,
    movies: Annotated[Path, typer.Option(help="ReDial's movies_with_mentions.csv (movieId,movieName,nbMentions)")],
    movielens: Annotated[Path, typer.Option(
        help="a MovieLens folder: movies.csv, ratings.csv, tags.csv (links.csv optional); get ml-latest-small.zip "
             "from https://grouplens.org/datasets/movielens/latest/ (research use only)")],
    name: Annotated[str, typer.Option(help="catalog name")] = "movies",
    as_json: Annotated[bool, typer.Option("--json", help="end with the build report as JSON")] = False,
) -> None:
    """ReDial's movies joined with MovieLens (genres, tags, ratings) as a catalog, rebuilt only
    when its inputs changed. Popularity is ReDial's raw nbMentions (`eval redial --movielens`
    takes the evaluated file's own mentions off)."""
    from recpilot.simulator.movies_catalog import ensure_movies_catalog

    _, build = ensure_movies_catalog(ctx.obj, movies, movielens, name=name, notify=lambda m: typer.echo(m, err=True))
    cov = build.coverage
    typer.echo(f"catalog {build.catalog!r} ({build.version}): {build.rows} movies, {build.interactions} interactions; "
               f"MovieLens matched {cov['movies_matched']:.1%} of the movies and {cov['mentions_matched_share']:.1%} "
               f"of their mentions; {'built' if build.rebuilt else 'unchanged'} in {build.seconds:.1f} s")
    if as_json:
        typer.echo(build.model_dump_json())


@items_app.command("show")
def items_show(ctx: typer.Context, item_id: str,
               as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Show one item's fields."""
    from recpilot.ingest import ensure_catalog

    catalog = ensure_catalog(ctx.obj, lambda m: typer.echo(m, err=True))
    fields = catalog.get(item_id).public()
    if as_json:
        typer.echo(json.dumps(fields, ensure_ascii=False))
        return
    for key, value in fields.items():
        typer.echo(f"{key}: {', '.join(map(str, value)) if isinstance(value, list) else value}")


@items_app.command("search")
def items_search(ctx: typer.Context, query: str, k: Annotated[int, typer.Option(help="how many")] = 10,
                 as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Semantic search over the catalog (no conversation)."""
    from recpilot.ingest import ensure_catalog
    from recpilot.tools import TOOLS
    from recpilot.tools.context import ToolContext

    catalog = ensure_catalog(ctx.obj, lambda m: typer.echo(m, err=True))
    result = TOOLS["search_items"](ToolContext(catalog=catalog), {"query": query, "limit": k})
    if as_json:
        typer.echo(result.model_dump_json())
        return
    for hit in result.items[:k]:
        typer.echo(f"{hit.id}\t{hit.score:.3f}\t{hit.title}")
