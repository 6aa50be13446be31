"""Training and scoring the distilled parser (``recpilot train parser`` minus the terminal).

1. Corpus: template examples from the simulator (``training.corpus``) built from the
   phrasebook's *train* phrases, optionally LLM paraphrases of some of them; held-out
   examples built from the *held-out* phrases only, so the score is on wordings the model
   never saw.
2. Every example goes through the rule parser (the model's input includes the words the
   rules left), then the sentence embedder.
3. The model is fitted with Adam on the summed cross-entropies of its heads, early stopping
   on a seeded validation slice of the training examples.
4. Held-out score per slot for the rules alone, the model alone and both as deployed (the
   model used only where the rules would call the LLM and the model is sure and agrees),
   plus the share of would-be LLM calls the model takes over.
"""

from __future__ import annotations

import platform
import random
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from recpilot.agent.distilled import (
    EMBED_DIM,
    HIDDEN,
    DistilledParser,
    checkpoint_paths,
    featurize,
    kinds_of,
)
from recpilot.agent.parse_labels import (
    INTENTS,
    MENTION_CLASSES,
    RESIDUALS,
    SORTS,
    ParseLabel,
    leftover,
    mention_window,
    rule_label,
    rule_mention_class,
)
from recpilot.agent.rules import ParseContext, RuleParse, RuleParser
from recpilot.agent.vocabulary import vocabulary_for
from recpilot.catalog import Catalog
from recpilot.errors import UserError
from recpilot.scores import class_prf
from recpilot.tools.rankers.checkpoint import legacy_files
from recpilot.training import corpus as corpus_mod
from recpilot.training.corpus import CorpusExample, MentionExample
from recpilot.training.epochs import numpy_state

Phase = Callable[[str], None]
EpochFn = Callable[[dict], None]


def net(n_in: int, n_kinds: int, hidden: int = HIDDEN, dropout: float = 0.1):
    """The model ``agent.distilled.head_logits`` runs: one shared hidden layer, one linear head per slot."""
    from torch import nn

    class DistilledNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Dropout(dropout))
            self.intent = nn.Linear(hidden, len(INTENTS))
            self.sort = nn.Linear(hidden, len(SORTS))
            self.residual = nn.Linear(hidden, len(RESIDUALS))
            self.kinds = nn.Linear(hidden, max(n_kinds, 1) * 3)  # per value: not said / wanted / not wanted
            self.n_kinds = max(n_kinds, 1)

        def forward(self, x):
            h = self.body(x)
            return {"intent": self.intent(h), "sort": self.sort(h), "residual": self.residual(h),
                    "kinds": self.kinds(h).view(-1, self.n_kinds, 3)}

    return DistilledNet()


def mention_net(n_in: int = EMBED_DIM, hidden: int = 128, dropout: float = 0.1):
    """The mention head (``agent.distilled.mention_logits``): what the words around a named
    item say of it (neutral, liked, disliked)."""
    from torch import nn

    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, len(MENTION_CLASSES)))


def build_corpus(catalog: Catalog, examples: int, heldout: int, seed: int, paraphrases: int = 0, llm=None,
                 phase: Phase = lambda _m: None) -> tuple[list[CorpusExample], list[CorpusExample], dict]:
    phase(f"generating {examples:,} training and {heldout:,} held-out examples")
    train = corpus_mod.generate(catalog, examples, seed, "train")
    held = corpus_mod.generate(catalog, heldout, seed, "heldout")
    counts: dict = {}
    if paraphrases and llm is not None:
        n_held = paraphrases // 5
        phase(f"asking {llm.name} for {paraphrases} paraphrases ({n_held} for the held-out set)")
        t0, total = time.perf_counter(), paraphrases

        def tick(offset: int):
            def report(done: int, _of: int) -> None:
                done += offset
                if done % 25 == 0 or done == total:
                    rate = done / max(time.perf_counter() - t0, 1e-9)
                    phase(f"paraphrases: {done}/{total} asked, {rate:.1f}/s")
            return report

        extra, counts = corpus_mod.paraphrase(train, llm, catalog, paraphrases - n_held, seed, tick(0))
        more, held_counts = corpus_mod.paraphrase(held, llm, catalog, n_held, seed + 1, tick(paraphrases - n_held))
        train, held = train + extra, held + more
        counts = {k: counts.get(k, 0) + held_counts.get(k, 0) for k in set(counts) | set(held_counts)}
    return train, held, counts


def targets(examples: list[CorpusExample], kinds: list[str]) -> dict[str, np.ndarray]:
    index = {k: i for i, k in enumerate(kinds)}
    kind = np.zeros((len(examples), max(len(kinds), 1)), np.int64)
    for row, e in enumerate(examples):
        for value in e.label.likes:
            if value.lower() in index:
                kind[row, index[value.lower()]] = 1
        for value in e.label.dislikes:
            if value.lower() in index:
                kind[row, index[value.lower()]] = 2
    return {
        "intent": np.asarray([INTENTS.index(e.label.intent) for e in examples], np.int64),
        "sort": np.asarray([SORTS.index(e.label.sort) for e in examples], np.int64),
        "residual": np.asarray([RESIDUALS.index(e.label.residual) for e in examples], np.int64),
        "kinds": kind,
    }


def heads_loss(out: dict, y: dict):
    """The message model's loss: one cross-entropy per head (kind values weigh more: each is
    a 57-way set of small decisions)."""
    from torch.nn.functional import cross_entropy

    total = sum(cross_entropy(out[k], y[k]) for k in ("intent", "sort", "residual"))
    return total + cross_entropy(out["kinds"].reshape(-1, 3), y["kinds"].reshape(-1)) * 3.0


def class_loss(out, y):
    from torch.nn.functional import cross_entropy

    return cross_entropy(out, y)


def fit(model, x: np.ndarray, y, loss_fn, *, seed: int = 0, epochs: int = 60, patience: int = 6,
        batch: int = 128, lr: float = 2e-3, on_epoch: EpochFn | None = None):
    """Fits ``model`` on ``x`` → ``y`` (an array, or a dict of arrays, one per head) with Adam,
    keeping the weights of the best validation loss (a seeded tenth of ``x``)."""
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    n_valid = max(1, len(x) // 10)
    valid, train = order[:n_valid], order[n_valid:]
    tx = torch.from_numpy(x)
    ty = {k: torch.from_numpy(v) for k, v in y.items()} if isinstance(y, dict) else torch.from_numpy(y)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-5)

    def loss_of(rows) -> torch.Tensor:
        target = {k: v[rows] for k, v in ty.items()} if isinstance(ty, dict) else ty[rows]
        return loss_fn(model(tx[rows]), target)

    best, best_state, best_epoch, since, history = float("inf"), None, 0, 0, []
    t0 = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.from_numpy(rng.permutation(train))
        running = 0.0
        for start in range(0, len(perm), batch):
            rows = perm[start:start + batch]
            opt.zero_grad()
            loss = loss_of(rows)
            loss.backward()
            opt.step()
            running += float(loss.detach()) * len(rows)
        model.eval()
        with torch.no_grad():
            v = float(loss_of(torch.from_numpy(valid)))
        history.append({"epoch": epoch, "loss": round(running / max(len(train), 1), 4), "valid_loss": round(v, 4)})
        if on_epoch is not None:
            elapsed = time.perf_counter() - t0
            on_epoch({**history[-1], "epochs": epochs, "examples_per_s": epoch * len(train) / max(elapsed, 1e-9)})
        if v < best - 1e-4:
            best, best_epoch, since = v, epoch, 0
            best_state = {k: t.clone() for k, t in model.state_dict().items()}
        else:
            since += 1
            if since >= patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return model, {"epochs_run": len(history), "best_epoch": best_epoch, "valid_loss": round(best, 4),
                   "stopped_early": len(history) < epochs, "curve": history,
                   "seconds": round(time.perf_counter() - t0, 2)}


def slot_scores(gold: list[ParseLabel], pred: list[ParseLabel]) -> dict[str, Any]:
    """Accuracy of the single-choice slots; precision/recall/F1 of kind values wanted and not
    wanted (micro, over (example, value) pairs); exact match of the whole label."""
    n = max(len(gold), 1)
    out: dict[str, Any] = {}
    for slot in ("intent", "sort", "residual"):
        out[f"{slot}_acc"] = round(sum(getattr(g, slot) == getattr(p, slot) for g, p in zip(gold, pred, strict=True)) / n, 4)
    for slot in ("likes", "dislikes"):
        tp = fp = fn = 0
        for g, p in zip(gold, pred, strict=True):
            gs, ps = {v.lower() for v in getattr(g, slot)}, {v.lower() for v in getattr(p, slot)}
            tp, fp, fn = tp + len(gs & ps), fp + len(ps - gs), fn + len(gs - ps)
        prec = tp / (tp + fp) if tp + fp else 1.0
        rec = tp / (tp + fn) if tp + fn else 1.0
        out[f"{slot}_f1"] = round(2 * prec * rec / (prec + rec), 4) if prec + rec else 0.0
    out["exact"] = round(sum(_same(g, p) for g, p in zip(gold, pred, strict=True)) / n, 4)
    return out


def _same(g: ParseLabel, p: ParseLabel) -> bool:
    return (g.intent == p.intent and g.sort == p.sort and g.residual == p.residual
            and {v.lower() for v in g.likes} == {v.lower() for v in p.likes}
            and {v.lower() for v in g.dislikes} == {v.lower() for v in p.dislikes})


def evaluate(parser: DistilledParser, catalog: Catalog, examples: list[CorpusExample],
             rules_out: list[RuleParse]) -> dict[str, Any]:
    """Rules alone, the model alone, and both as deployed, on ``examples``."""
    kf = parser.kind_field
    readings = parser.read(catalog, [e.text for e in examples], rules_out, [bool(e.shown) for e in examples])
    gold = [e.label for e in examples]
    ruled = [rule_label(r.update, r, kf) for r in rules_out]
    model = [r.label for r in readings]
    deployed, confident = [], []
    for i, (r, reading, rl) in enumerate(zip(rules_out, readings, ruled, strict=True)):
        if not r.needs_llm:
            deployed.append(rl)
            continue
        if parser.agrees(reading, r):
            confident.append(i)
            copy = RuleParse(r.update.model_copy(deep=True), list(r.residual), r.structured, r.injection)
            parser.apply(reading, copy)
            deployed.append(rule_label(copy.update, copy, kf).model_copy(update={"residual": reading.label.residual}))
        else:
            deployed.append(rl)
    subset = [i for i, r in enumerate(rules_out) if r.needs_llm]  # where the rules would call the LLM
    return {
        "examples": len(examples),
        "rules": slot_scores(gold, ruled),
        "distilled": slot_scores(gold, model),
        "rules+distilled": slot_scores(gold, deployed),
        "would_call_llm": len(subset),
        "taken_over": len(confident),
        "llm_calls_saved": round(len(confident) / max(len(subset), 1), 4),
        "on_would_call": {
            "rules": slot_scores([gold[i] for i in subset], [ruled[i] for i in subset]),
            "rules+distilled": slot_scores([gold[i] for i in subset], [deployed[i] for i in subset]),
        },
        "taken_over_exact": slot_scores([gold[i] for i in confident], [deployed[i] for i in confident])["exact"]
        if confident else None,
    }


def parse_all(catalog: Catalog, examples: list[CorpusExample]) -> list[RuleParse]:
    rules = RuleParser(vocabulary_for(catalog))
    return [rules.parse(e.text, ParseContext(last_shown=e.shown)) for e in examples]


def train_parser(settings, catalog: Catalog, *, examples: int = 8000, heldout: int = 2000, paraphrases: int = 0,
                 llm=None, epochs: int = 60, seed: int = 0, threshold: float | None = None,
                 on_phase: Phase | None = None, on_epoch: EpochFn | None = None, save: bool = True) -> dict[str, Any]:
    """Builds the corpus, fits the model, scores it on the held-out examples, saves it."""
    import torch

    phase = on_phase or (lambda _m: None)
    kf, kinds = kinds_of(catalog)
    if not len(catalog):
        raise UserError(f"catalog {catalog.name!r} is empty")
    random.seed(seed)
    t_all = time.perf_counter()
    train, held, para_counts = build_corpus(catalog, examples, heldout, seed, paraphrases, llm, phase)
    phase(f"parsing {len(train) + len(held):,} examples with the rules")
    rules_train, rules_held = parse_all(catalog, train), parse_all(catalog, held)
    phase("embedding the examples")
    x = featurize(catalog, [e.text for e in train], [leftover(r) for r in rules_train],
                  [bool(e.shown) for e in train])
    phase(f"training on {len(train):,} examples ({x.shape[1]} features, {len(kinds)} kind values)")
    torch.manual_seed(seed)
    model, fit_info = fit(net(x.shape[1], len(kinds)), x, targets(train, kinds), heads_loss, seed=seed,
                          epochs=epochs, on_epoch=on_epoch)
    parser = DistilledParser(numpy_state(model), kinds, kf, settings.learned.parser_confidence if threshold is None else threshold,
                             mention_threshold=settings.learned.mention_confidence)
    mention_report = train_mentions(parser, catalog, examples // 2, heldout // 2, seed, epochs, phase)
    phase(f"scoring on {len(held):,} held-out examples")
    report: dict[str, Any] = {
        "model": "distilled-parser", "kind_field": kf, "kinds": len(kinds),
        "train_examples": len(train), "heldout_examples": len(held),
        "paraphrases": para_counts, "threshold": parser.threshold, "seed": seed,
        "heldout": evaluate(parser, catalog, held, rules_held),
        "heldout_llm": _by_source(parser, catalog, held, rules_held),
        "mentions": mention_report,
        **{k: fit_info[k] for k in ("epochs_run", "best_epoch", "valid_loss", "stopped_early")},
        "curve": fit_info["curve"], "train_seconds": fit_info["seconds"],
        "total_seconds": round(time.perf_counter() - t_all, 2),
        "threads": torch.get_num_threads(), "machine": platform.machine(), "torch": torch.__version__,
    }
    if save:
        report["checkpoint"] = str(save_parser(settings, catalog, parser, report, train + held))
    return report


def mention_data(catalog: Catalog, examples: list[MentionExample]) -> tuple[list[str], list[str], list[str]]:
    """(window text, gold class, the rules' class) for every example whose item the rules found."""
    rules = RuleParser(vocabulary_for(catalog))
    texts, gold, ruled = [], [], []
    parsed: dict[str, RuleParse] = {}
    for e in examples:
        rule = parsed.get(e.text) or parsed.setdefault(e.text, rules.parse(e.text, ParseContext()))
        found = [i for i, m in enumerate(rule.mentions) if m.ref.id == e.item_id]
        if not found:
            continue
        texts.append(mention_window(rule, found[0]))
        gold.append(e.label)
        ruled.append(rule_mention_class(rule.mentions[found[0]].label))
    return texts, gold, ruled


def train_mentions(parser: DistilledParser, catalog: Catalog, n_train: int, n_held: int, seed: int, epochs: int,
                   phase: Phase) -> dict[str, Any]:
    """Fits the mention head on template mentions, scores rules / head / both on held-out ones."""
    import torch

    phase(f"mention head: {n_train:,} training and {n_held:,} held-out named items")
    train_t, train_y, _ = mention_data(catalog, corpus_mod.generate_mentions(catalog, n_train, seed, "train"))
    held_t, held_y, held_rules = mention_data(catalog, corpus_mod.generate_mentions(catalog, n_held, seed, "heldout"))
    if len(set(train_y)) < len(MENTION_CLASSES):
        return {"trained": False, "reason": "too few named items the rules recognise"}
    x = catalog.embed(train_t).astype(np.float32)
    y = np.asarray([MENTION_CLASSES.index(c) for c in train_y], np.int64)
    torch.manual_seed(seed)
    model, info = fit(mention_net(), x, y, class_loss, seed=seed, epochs=epochs)
    parser.mentions = numpy_state(model)
    with torch.no_grad():
        probs = torch.softmax(model(torch.from_numpy(catalog.embed(held_t).astype(np.float32))), dim=-1).numpy()
    head = [MENTION_CLASSES[int(p.argmax())] for p in probs]
    # as deployed: the head speaks only for items the rules left without a cue, when sure
    both = [h if r == "neutral" and p.max() >= parser.mention_threshold else r
            for h, r, p in zip(head, held_rules, probs, strict=True)]
    return {"trained": True, "train_mentions": len(train_y), "heldout_mentions": len(held_y),
            "rules": mention_scores(held_y, held_rules), "distilled": mention_scores(held_y, head),
            "rules+distilled": mention_scores(held_y, both), "epochs_run": info["epochs_run"],
            "train_seconds": info["seconds"]}


def mention_scores(gold: list[str], pred: list[str]) -> dict[str, float]:
    out = {"acc": round(sum(g == p for g, p in zip(gold, pred, strict=True)) / max(len(gold), 1), 4)}
    for cls in ("liked", "disliked"):
        out[f"{cls}_f1"] = class_prf(gold, pred, cls).f1
    return out


def _by_source(parser, catalog, held, rules_held) -> dict | None:
    """The held-out score on LLM paraphrases alone (None without any)."""
    rows = [i for i, e in enumerate(held) if e.source == "llm"]
    if not rows:
        return None
    return evaluate(parser, catalog, [held[i] for i in rows], [rules_held[i] for i in rows])


def save_parser(settings, catalog: Catalog, parser: DistilledParser, report: dict,
                examples: list[CorpusExample]) -> str:
    """Writes the corpus, the weights and the report; the report last, because its presence
    is what makes the model loadable (an interrupted save leaves no half model in use)."""
    import json

    from recpilot.tools.rankers.checkpoint import catalog_hash
    from recpilot.weights import atomic_write

    path, meta_path = checkpoint_paths(settings, catalog)
    path.parent.mkdir(parents=True, exist_ok=True)
    corpus_mod.save(examples, path.with_name("parser-corpus.jsonl"))
    meta_path.unlink(missing_ok=True)
    parser.save(path)
    for stale in legacy_files(path.parent, path.stem):
        stale.unlink(missing_ok=True)
    meta = {**report, "catalog": catalog.name, "catalog_version": catalog.version,
            "content_hash": catalog_hash(settings, catalog), "created": time.time()}
    atomic_write(meta_path, json.dumps(meta, indent=2))
    return str(path)
