"""Words that carry taste ("uplifting", "twisty", "less gory", "cozy"), read by their meaning.

A descriptor never searches titles: it becomes soft preferences, matched by embedding
similarity against the items' (title-free) text, and against the labels of the catalog's kind
field (its genres), so "twisty" leans to thrillers and "uplifting" away from horror. The
lexicon below is English, not any catalog's: each entry glosses what a reader wants by the
word and, where it has one, what it rules out; the catalog's own labels are matched to the
glosses at run time, so the same lexicon serves books and movies.

The words no rule explained are weighed the same way: a phrase close to the catalog's labels
("dragons", "norse gods", "horses") is something to look for; one far from all of them ("rough
week", "commute", "put down") is the reader's situation, and is dropped as context.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recpilot.agent.per_catalog import CatalogBound, PerCatalog
from recpilot.catalog import Catalog, item_noun, kind_field

#: word or phrase -> (what a reader wants by it, what it rules out or "")
LEXICON: dict[str, tuple[str, str]] = {
    "uplifting": ("uplifting hopeful heartwarming feel-good story", "dark violent horror crime thriller murder"),
    "heartwarming": ("heartwarming touching feel-good story", "dark violent horror crime murder"),
    "feel good": ("feel-good uplifting happy story", "dark violent horror crime murder war"),
    "feel-good": ("feel-good uplifting happy story", "dark violent horror crime murder war"),
    "hopeful": ("hopeful optimistic uplifting", "bleak dystopian grim"),
    "happy": ("happy cheerful uplifting", "sad dark tragic"),
    "wholesome": ("wholesome gentle heartwarming", "violent explicit dark horror"),
    "cozy": ("cozy gentle comforting cozy mystery", "violent gory horror"),
    "cosy": ("cozy gentle comforting cozy mystery", "violent gory horror"),
    "gentle": ("gentle quiet kind story", "violent gory horror thriller"),
    "light": ("light fun easy read", "heavy dark violent war history"),
    "fluffy": ("light fluffy fun romance chick lit", "heavy dark violent horror"),
    "fun": ("fun entertaining adventure", "bleak heavy"),
    "funny": ("funny humorous comedy comic", "dark grim horror tragic"),
    "humour": ("funny humorous comedy comic", "dark grim horror tragic"),
    "humor": ("funny humorous comedy comic", "dark grim horror tragic"),
    "predictable": ("predictable formulaic", ""),
    "formulaic": ("predictable formulaic", ""),
    "hilarious": ("hilarious funny humorous comedy", "dark grim horror tragic"),
    "humorous": ("humorous funny comedy comic", "dark grim horror"),
    "witty": ("witty clever funny humorous", ""),
    "whimsical": ("whimsical magical playful fairy tale", "grim violent"),
    "quirky": ("quirky offbeat funny", ""),
    "dark": ("dark grim sinister", "light cheerful"),
    "grim": ("grim dark bleak", "light cheerful"),
    "grimdark": ("grimdark gritty dark fantasy", "light cheerful"),
    "gritty": ("gritty dark violent", "light gentle"),
    "bleak": ("bleak grim dark", "light cheerful"),
    "depressing": ("depressing sad bleak", "light happy"),
    "sad": ("sad moving tragic emotional", "funny light"),
    "emotional": ("emotional moving heartbreaking", ""),
    "tearjerker": ("emotional moving tearjerker sad", ""),
    "heartbreaking": ("heartbreaking emotional tragic", ""),
    "moving": ("moving emotional touching", ""),
    "sappy": ("sappy sentimental romance", ""),
    "scary": ("scary frightening horror", "light cheerful"),
    "creepy": ("creepy eerie unsettling horror", "light cheerful"),
    "spooky": ("spooky eerie ghosts horror", ""),
    "terrifying": ("terrifying horror frightening", ""),
    "eerie": ("eerie unsettling gothic", ""),
    "gory": ("gory graphic violence gruesome horror", ""),
    "gore": ("gory graphic violence gruesome horror", ""),
    "gruesome": ("gruesome gory graphic violence horror", ""),
    "graphic": ("violent bloody gory horror", ""),
    "violent": ("violent brutal bloody horror", ""),
    "violence": ("violent brutal bloody horror", ""),
    "explicit": ("explicit sex erotic romance", ""),
    "steamy": ("steamy erotic romance sex", ""),
    "spicy": ("spicy steamy erotic romance", ""),
    "smut": ("explicit erotic romance sex", ""),
    "sexy": ("sexy steamy erotic romance", ""),
    "romantic": ("romantic love story romance", ""),
    "romance": ("romance love story", ""),
    "love story": ("love story romance", ""),
    "love stories": ("love story romance", ""),
    "insta-love": ("instant love at first sight romance", ""),
    "insta love": ("instant love at first sight romance", ""),
    "love triangles": ("love triangle teen romance", ""),
    "love triangle": ("love triangle teen romance", ""),
    "slow burn": ("slow burn romance", ""),
    "enemies to lovers": ("enemies to lovers romance", ""),
    "twisty": ("twisty thriller mystery with plot twists", ""),
    "twists": ("thriller mystery with plot twists", ""),
    "suspenseful": ("suspenseful thriller suspense", ""),
    "gripping": ("gripping suspenseful page-turner thriller", ""),
    "page turner": ("page-turner gripping thriller", ""),
    "fast paced": ("fast-paced action thriller", "slow quiet literary"),
    "fast-paced": ("fast-paced action thriller", "slow quiet literary"),
    "action": ("action adventure thriller", ""),
    "actually moves": ("fast-paced action adventure", "slow quiet literary"),
    "slow": ("slow-paced quiet literary", ""),
    "quiet": ("quiet reflective literary fiction", "action thriller"),
    "literary": ("literary fiction", ""),
    "thought provoking": ("thought-provoking philosophical literary", ""),
    "thought-provoking": ("thought-provoking philosophical literary", ""),
    "philosophical": ("philosophical ideas philosophy", ""),
    "deep": ("deep philosophical literary", "light fluffy"),
    "preachy": ("preachy moralizing religious", ""),
    "epic": ("epic sweeping saga epic fantasy", ""),
    "sweeping": ("sweeping epic saga historical", ""),
    "atmospheric": ("atmospheric moody gothic", ""),
    "gothic": ("gothic atmospheric dark", ""),
    "magical": ("magical fantasy magic", ""),
    "mysterious": ("mysterious mystery suspense", ""),
    "clever": ("clever smart intricate", ""),
    "whodunnit": ("detective mystery novel", ""),
    "whodunnits": ("detective mystery novel", ""),
    "whodunit": ("detective mystery novel", ""),
    "whodunits": ("detective mystery novel", ""),
    "heist": ("heist thieves crew caper", ""),
    "found family": ("found family close-knit crew friendship", ""),
    "dark academia": ("dark academia elite school secrets literary mystery", ""),
    "coming of age": ("coming of age growing up young adult", ""),
    "coming-of-age": ("coming of age growing up young adult", ""),
    "heavy": ("heavy dark serious", "light fluffy"),
    "serious": ("serious literary", ""),
    "easy": ("easy light quick read", "dense heavy"),
    "realistic": ("realistic contemporary fiction", "fantasy magic"),
    "weird": ("weird strange surreal", ""),
    "inspiring": ("inspiring uplifting true story", "dark horror crime"),
    "inspirational": ("inspirational uplifting", "dark horror crime"),
    "well written": ("beautifully written literary", ""),
    "beautifully written": ("beautifully written literary", ""),
    "big picture": ("big ideas history science non-fiction", ""),
}
#: words whose gloss is matched against the items' text only: their nearest labels are noise
#: ("gentle" is nearest to short stories, "fluffy" to erotic romance, "slow" to short stories)
NO_HINTS = frozenset("gentle light fluffy fun slow easy inspiring inspirational big picture dark grim bleak weird "
                     "heavy quiet deep predictable formulaic".split(" ")) | {"big picture"}
#: a phrase this close to some label of the catalog's kind field is about the items (measured on
#: MiniLM: "pirates" 0.30, "revenge" 0.27, "island" 0.28; "week" 0.16, "put down" 0.16, "commute"
#: 0.17; the words of a reader's life that score higher by accident are listed in cues.CONTEXT_WORDS)
RELEVANT = 0.25
#: an item's text must come this much closer than a label to count
ITEM_MARGIN = 0.15
#: a label this close to a gloss is hinted (and the hints stay within HINT_SPREAD of the best)
HINT = 0.45
HINT_SPREAD = 0.06


@dataclass
class Reading:
    """What a descriptor or a leftover phrase says about what to look for."""

    text: str  # the gloss (or the words themselves), matched against the items' text
    likes: list[tuple[str, float]]  # (label of the kind field, similarity)
    dislikes: list[tuple[str, float]]


class Descriptors(CatalogBound):
    """Per catalog version: its kind field's labels, embedded once."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.field = kind_field(catalog)
        self.labels: list[str] = []
        self.vectors = np.zeros((0, 1))
        if self.field:
            display = catalog.display.get(self.field, {})
            self.labels = sorted(display.values())
            if self.labels:
                things = item_noun(catalog, plural=True)
                self.vectors = np.stack([catalog.embed_query(f"{label} {things}") for label in self.labels])

    def relevance(self, phrase: str) -> float:
        """How close the phrase comes to what the catalog describes: any label of its kind
        field, or (less readily, since any word is somewhat close to some item) the text of its
        closest item. Item texts hold no titles, so a word found only in a title scores low."""
        vector = self.catalog.embed_query(phrase)
        labels = float(np.max(self.vectors @ vector)) if len(self.labels) else 0.0
        items = float(np.max(np.asarray(self.catalog.embeddings) @ vector)) if len(self.catalog) else 0.0
        return max(labels, items - ITEM_MARGIN)

    def hints(self, gloss: str) -> list[tuple[str, float]]:
        if not gloss or not len(self.labels):
            return []
        sims = self.vectors @ self.catalog.embed_query(gloss)
        best = float(sims.max())
        if best < HINT:
            return []
        order = np.argsort(-sims)
        return [(self.labels[i], round(float(sims[i]), 3)) for i in order[:3] if sims[i] >= best - HINT_SPREAD]

    def read(self, words: str) -> Reading:
        """A lexicon word by its gloss; other words by themselves."""
        key = COMPARATIVES.get(words, words)
        want, avoid = LEXICON.get(key, (words, ""))
        return Reading(text=want, likes=[] if key in NO_HINTS else self.hints(want), dislikes=self.hints(avoid))


#: "something funnier", "darker", "less scary": the comparative reads as its word
COMPARATIVES = {"funnier": "funny", "darker": "dark", "lighter": "light", "scarier": "scary", "creepier": "creepy",
                "happier": "happy", "sadder": "sad", "cozier": "cozy", "cosier": "cozy", "weirder": "weird",
                "grittier": "gritty", "deeper": "deep", "gorier": "gory", "lighter hearted": "light",
                "more romantic": "romantic", "more emotional": "emotional"}
#: the lexicon's phrases as the tokenizer spells them ("feel-good" is "feel - good": hyphens dropped)
_KEYS = {" ".join(k.replace("-", " ").split()): k for k in LEXICON}


def lexicon_spans(tokens: list[str], taken=None) -> list[tuple[int, int, str]]:
    """(start, end, key) of the lexicon phrases in the tokens, longest first, not overlapping."""
    out: list[tuple[int, int, str]] = []
    used = [bool(x) for x in taken] if taken is not None else [False] * len(tokens)
    for n in (5, 4, 3, 2, 1):
        for i in range(len(tokens) - n + 1):
            window = tokens[i : i + n]
            if window[0] == "-" or window[-1] == "-":
                continue
            words = " ".join(t for t in window if t != "-")
            key = _KEYS.get(words) or (words if words in COMPARATIVES else None)
            if key and not any(used[i : i + n]):
                out.append((i, i + n, key))
                used[i : i + n] = [True] * n
    return sorted(out)


#: the descriptor reader of a catalog version, built once per process
descriptors_for: PerCatalog[Descriptors] = PerCatalog(Descriptors, name="descriptors")
