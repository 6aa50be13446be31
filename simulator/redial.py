"""The ReDial human-dialogue benchmark: its files, its movies as a catalog, and the replay.

ReDial (Li et al., NeurIPS 2018, CC BY 4.0) records a seeker and a human recommender
talking about movies, written as ``@<movieId>`` in the text. We replay each dialogue through
RecPilot and score two things (see ``redial_metrics`` for the exact counting):

* the parser: which movies the seeker liked or disliked, against the seeker's own labels;
* recommendations: at each recommender turn that names movies, what RecPilot would have
  recommended from the dialogue so far, as Recall@1/10/50 of the movies named.

How a dialogue is replayed (decisions, stated once):

* ``@id`` becomes the movie's title without the year (from ``movieMentions``, else the
  catalog); an id known to neither becomes "a movie".
* Seeker messages go, in order, through one RecPilot session on the ``redial`` catalog with
  k = 50, exactly as a user's messages would. RecPilot's own 50 items are not kept as
  "shown" (the seeker never saw them). Each human recommender turn is written into the
  session as the reply to the seeker's last turn, with the movies it named as the items
  shown: "that one" or "the second one" then resolves to them, and they are not suggested
  again, just as the agent would not repeat its own suggestions.
* RecPilot's prediction at a recommender turn is its latest non-empty recommendation list
  (a seeker turn of chit-chat or a question about a movie changes nothing it would
  recommend). Before any seeker turn has brought items (the recommender speaks first, or the
  seeker has only said hello) it is RecPilot's answer to "What would you suggest?" in a
  session of its own, the list a new user gets, since the baselines predict from nothing there
  too; those turns are counted as ``turns_on_opening_list``.
* Parser reading: ``liked_items`` of the final state, and every movie that was an anchor
  ("something like X") at some turn, are liked (an anchor belongs to one request, and a new
  request sets it aside; asking for movies like X still says X was liked); ``rejected_items``
  are disliked; ``read_items`` (seen, no verdict) are neither. The parser reads with the stance
  rule "redial" (``learned.stance_rule``): liked unless disliked, since ReDial labels only those
  two. A title the parser grounded to another catalog entry with the same title (ReDial lists
  some movies twice) counts as that movie.
* Long-term memory is off: every dialogue is a new user.
* Baselines (the harness's own, ``baselines.py``) see the same points: popularity (most
  mentioned movies in ReDial) and retrieval (the seeker's text so far, embedded and searched
  in the catalog's vector store with the ``search_items`` tool); on the movies catalog also
  blend (genre words, item-item CF from the seeker's movies, popularity). Like RecPilot, they
  do not suggest a movie the human recommender already named.
* With a MovieLens folder the catalog is ``movies`` (``movies_catalog.py``: the same ReDial ids,
  with genres, tags, ratings and interactions where MovieLens has the movie), and RecPilot
  ranks with a ranker trained on it (trained first when the catalog version has none).
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal, NamedTuple

import yaml
from pydantic import BaseModel, Field

from recpilot.errors import UserError

MENTION = re.compile(r"@(\d+)")
_YEAR = re.compile(r"^(?P<title>.*?)\s*\((?P<year>\d{4})\)\s*$")
CATALOG_NAME = "redial"


class RedialFormatError(UserError):
    """A ReDial file that cannot be read at all."""


# --- movies -----------------------------------------------------------------------------------
class Movie(BaseModel):
    id: str
    title: str
    year: int | None = None
    mentions: int = 0


def split_title(name: str) -> tuple[str, int | None]:
    """``"Ninja Assassin (2009)"`` -> ``("Ninja Assassin", 2009)``; no year -> ``(name, None)``."""
    name = " ".join(str(name).split())
    m = _YEAR.match(name)
    if m and m.group("title").strip():
        return m.group("title").strip(), int(m.group("year"))
    return name, None


def default_movies_path(data: Path) -> Path:
    return Path(data).parent / "movies_with_mentions.csv"


def read_movies(path: Path) -> tuple[list[Movie], list[str]]:
    """The movies and, for each row that could not be read, why."""
    path = Path(path)
    if not path.is_file():
        raise RedialFormatError(f"movies file not found: {path}")
    movies, errors = [], []
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"movieId", "movieName"} - set(reader.fieldnames or [])
        if missing:
            raise RedialFormatError(f"{path}: missing columns {sorted(missing)} (need movieId,movieName[,nbMentions])")
        for lineno, row in enumerate(reader, start=2):
            movie_id, name = (row.get("movieId") or "").strip(), (row.get("movieName") or "").strip()
            if not movie_id or not name:
                errors.append(f"line {lineno}: empty movieId or movieName")
                continue
            title, year = split_title(name)
            try:
                mentions = int(float(row.get("nbMentions") or 0))
            except ValueError:
                errors.append(f"line {lineno}: nbMentions is not a number: {row.get('nbMentions')!r}")
                mentions = 0
            movies.append(Movie(id=movie_id, title=title, year=year, mentions=mentions))
    if not movies:
        raise RedialFormatError(f"no movies in {path}")
    return movies, errors


_SCHEMA = {"id": "id", "title": "title", "numeric": ["year", "mentions"], "year": "year",
           "popularity": "mentions", "keep": ["name"]}


def ensure_redial_catalog(settings, movies_path: Path, notify: Callable[[str], None] | None = None,
                          without: dict[str, int] | None = None):
    """The ``redial`` catalog in ``settings.home``, ingested from ``movies_path`` unless it already is.

    ``without``: mentions to take off each movie's ``nbMentions`` (the evaluated file's own, see
    ``file_mentions``), so that its popularity does not already hold the answers being scored."""
    from recpilot.catalog import current_version, load_catalog
    from recpilot.ingest import ingest

    movies, errors = read_movies(movies_path)
    without = without or {}
    work = settings.home / "datasets" / CATALOG_NAME
    work.mkdir(parents=True, exist_ok=True)
    rows = [{"id": m.id, "title": m.title, "year": m.year, "mentions": max(0, m.mentions - without.get(m.id, 0)),
             "name": f"{m.title} ({m.year})" if m.year else m.title} for m in movies]
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    digest = hashlib.sha1((body + json.dumps(_SCHEMA, sort_keys=True)).encode()).hexdigest()
    marker = work / "source.json"
    if current_version(settings, CATALOG_NAME) and marker.exists() \
            and json.loads(marker.read_text()).get("digest") == digest:
        return load_catalog(settings, CATALOG_NAME)
    if notify:
        notify(f"ingesting {len(movies)} ReDial movies from {movies_path} as catalog {CATALOG_NAME!r}"
               + (f" ({len(errors)} rows skipped)" if errors else ""))
    (work / "movies.jsonl").write_text(body, encoding="utf-8")
    (work / "schema.yaml").write_text(yaml.safe_dump(_SCHEMA))
    ingest(settings, work / "movies.jsonl", name=CATALOG_NAME, schema_file=work / "schema.yaml")
    marker.write_text(json.dumps({"digest": digest, "source": str(movies_path)}))
    return load_catalog(settings, CATALOG_NAME)


# --- dialogues --------------------------------------------------------------------------------
class Message(BaseModel):
    sender: Literal["seeker", "recommender"]
    text: str
    mentions: list[str] = Field(default_factory=list)


class RedialDialogue(BaseModel):
    id: str
    messages: list[Message]
    titles: dict[str, str] = Field(default_factory=dict, description="movieMentions: id -> name")
    labels: dict[str, int] = Field(default_factory=dict, description="id -> liked (0, 1, 2)")
    label_source: Literal["initiator", "respondent", "none"] = "none"

    @property
    def mentioned(self) -> set[str]:
        return set(self.titles) | {m for msg in self.messages for m in msg.mentions}


def parse_dialogue(raw: dict) -> RedialDialogue:
    """One ReDial record; raises ``ValueError`` saying what is wrong."""
    try:
        seeker = raw["initiatorWorkerId"]
        messages = [Message(sender="seeker" if m["senderWorkerId"] == seeker else "recommender",
                            text=str(m.get("text") or ""), mentions=MENTION.findall(str(m.get("text") or "")))
                    for m in raw["messages"]]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"missing or malformed field: {exc}") from None
    titles = {str(k): str(v) for k, v in (raw.get("movieMentions") or {}).items()} \
        if isinstance(raw.get("movieMentions"), dict) else {}
    labels, source = {}, "none"
    for key, name in (("initiatorQuestions", "initiator"), ("respondentQuestions", "respondent")):
        form = raw.get(key)
        if isinstance(form, dict) and form:
            for movie_id, answers in form.items():
                liked = answers.get("liked") if isinstance(answers, dict) else None
                if str(liked) in ("0", "1", "2"):
                    labels[str(movie_id)] = int(liked)
            source = name
            break
    return RedialDialogue(id=str(raw.get("conversationId", "")), messages=messages, titles=titles,
                          labels=labels, label_source=source)


def file_mentions(dialogues: list[RedialDialogue]) -> dict[str, int]:
    """How many messages of these dialogues mention each movie: what ReDial's ``nbMentions``
    counted of them (for every dev movie nbMentions is at least this; for 81 it is exactly this)."""
    counts: dict[str, int] = {}
    for d in dialogues:
        for msg in d.messages:
            for movie_id in set(msg.mentions):
                counts[movie_id] = counts.get(movie_id, 0) + 1
    return counts


def read_dialogues(path: Path, limit: int | None = None) -> tuple[list[RedialDialogue], list[str]]:
    """The dialogues of a ReDial JSONL file (the first ``limit``) and, per unreadable line, why."""
    path = Path(path)
    if not path.is_file():
        raise RedialFormatError(f"dialogue file not found: {path}")
    out, errors = [], []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if limit is not None and len(out) >= limit:
                break
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                if not isinstance(raw, dict):
                    raise ValueError("not a JSON object")
                dialogue = parse_dialogue(raw)
                dialogue.id = dialogue.id or f"line-{lineno}"
                out.append(dialogue)
            except ValueError as exc:  # json.JSONDecodeError is a ValueError
                errors.append(f"line {lineno}: {exc}")
    if not out:
        raise RedialFormatError(f"no readable dialogue in {path}" + (f" ({errors[0]})" if errors else ""))
    return out, errors


class RenderedMention(NamedTuple):
    """Where one ``@id`` ended up in the rendered text: ``text[start:end]`` is its title."""

    movie_id: str
    start: int
    end: int


def render(text: str, dialogue: RedialDialogue, catalog) -> str:
    """The message with every ``@id`` replaced by the movie's title (without the year)."""
    return render_mentions(text, dialogue, catalog)[0]


def render_mentions(text: str, dialogue: RedialDialogue, catalog=None) -> tuple[str, list[RenderedMention]]:
    """``render``'s text and the char span of each ``@id`` in it, in order. ``catalog`` None:
    only the dialogue's own ``movieMentions`` name a movie."""
    def title(movie_id: str) -> str:
        if movie_id in dialogue.titles:
            return split_title(dialogue.titles[movie_id])[0]
        if catalog is not None and catalog.has(movie_id):
            return " ".join(catalog.get(movie_id).title.split())
        return "a movie"

    raw, spans, last = "", [], 0
    for m in MENTION.finditer(text):
        raw += text[last:m.start()]
        name = title(m.group(1))
        spans.append((m.group(1), len(raw), len(raw) + len(name)))
        raw += name
        last = m.end()
    raw += text[last:]
    # Collapse white space as ``" ".join(raw.split())`` does, moving each offset with its word.
    words = list(re.finditer(r"\S+", raw))
    shift, moved = {}, 0
    for w in words:
        shift[w.start()] = moved - w.start()
        moved += len(w.group()) + 1
    starts = [w.start() for w in words]

    def to_new(offset: int) -> int:
        word = starts[bisect.bisect_right(starts, offset) - 1]
        return offset + shift[word]

    out = [RenderedMention(i, to_new(a), to_new(b - 1) + 1) for i, a, b in spans if b > a]
    return " ".join(w.group() for w in words), out


def run_redial_eval(settings, data: Path, out: Path, *, movies: Path | None = None, limit: int | None = None,
                    with_baselines: bool = True, progress: Callable[[int, int], None] | None = None,
                    notify: Callable[[str], None] | None = None, stance_folds: int = 0,
                    leak_free: bool = True, movielens: Path | None = None, skip: int = 0,
                    ablations: bool = False, conversation_folds: int = 5) -> dict:
    """Replays and scores ``data``; writes ``out/summary.json``, ``out/report.md`` and
    ``out/dialogues.jsonl`` (what each system predicted where); returns the summary.
    ``stance_folds`` k > 0: each dialogue is read by a stance model trained on the other folds
    of ``data`` only (``simulator/redial_cv.py``). ``leak_free``: popularity (RecPilot's prior
    and the baseline's) is ``nbMentions`` minus the mentions in the whole of ``data``; turn it
    off only for dialogues from elsewhere, whose mentions ``nbMentions`` never counted.
    ``movielens``: a MovieLens folder; the catalog is then ``movies`` instead of ``redial``.
    ``skip``: leave out the first N dialogues (those a setting was chosen on), then ``limit``.
    ``ablations``: also score RecPilot without each of its parts (``redial_replay.ABLATIONS``).
    ``conversation_folds`` k > 0: each dialogue is ranked with a conversations model (items named
    together) fitted on the other folds of the whole of ``data`` (``redial_replay.conversation_models``); 0: none."""
    from recpilot.simulator.redial_replay import evaluate
    from recpilot.simulator.redial_report import write_report

    start = time.perf_counter()
    movies = Path(movies) if movies else default_movies_path(data)
    dialogues, errors = read_dialogues(data, limit + skip if limit else None)
    dialogues = dialogues[skip:]
    every = read_dialogues(data)[0]
    without = file_mentions(every) if leak_free else None
    built: dict = {}
    if movielens is not None:
        from recpilot.simulator.movies_catalog import ensure_movies_catalog, ensure_ranker

        catalog, build = ensure_movies_catalog(settings, movies, movielens, without=without, notify=notify)
        built = {"coverage": build.coverage, "interactions": build.interactions,
                 "ranker": ensure_ranker(settings, catalog, notify)}
    else:
        catalog = ensure_redial_catalog(settings, movies, notify, without)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stance_of = None
    if stance_folds:
        from recpilot.simulator.redial_cv import fold_of_dialogues, train_fold_models

        fold_of = fold_of_dialogues(data, stance_folds)
        paths = train_fold_models(data, fold_of, stance_folds, out, notify)
        stance_of = {d.id: paths[fold_of[d.id]] for d in dialogues}
    conversations_of = None
    if conversation_folds:
        from recpilot.simulator.redial_replay import conversation_models

        models = conversation_models(catalog, every, conversation_folds)
        conversations_of = {d.id: models[d.id] for d in dialogues}
    summary = evaluate(settings, catalog, dialogues, out, with_baselines=with_baselines, progress=progress,
                       stance_of=stance_of, ablations=ablations, conversations_of=conversations_of)
    summary["skipped_dialogues"] = skip
    summary["catalog"].update(built)
    summary["stance"] = (f"cross-validated: {stance_folds} folds by dialogue, each read by a model trained on the "
                         f"others" if stance_folds else "the configured model (the shipped one is fitted on ReDial dev)")
    summary["conversations"] = (f"cross-fitted: {conversation_folds} folds by dialogue, each ranked with the items "
                                f"named together in the other folds' dialogues" if conversation_folds else "none")
    summary["popularity"] = ("leak-free: nbMentions minus this file's own mentions" if leak_free else
                             "raw nbMentions (counted over all of ReDial)")
    summary.update({"data": str(data), "movies": str(movies), **({"movielens": str(movielens)} if movielens else {}),
                    "skipped_lines": errors[:20],
                    "llm_backend": settings.llm.backend, "seconds": round(time.perf_counter() - start, 1)})
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    write_report(summary, out / "report.md")
    return summary
