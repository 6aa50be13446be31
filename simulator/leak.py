"""Leak detection: did a simulated user's utterance name the target's title or id?

A title of two or more words leaks when rapidfuzz's ``partial_ratio`` between the normalised
title and the normalised utterance is at least 90 (when the utterance is shorter than the
title, the whole utterance must match it that closely). A one-word title leaks when the
utterance contains it as a word; for the few one-word titles that are everyday function
words ("It", "Us") only a quoted or mid-sentence capitalised use counts. A numeric id leaks
only where it reads as an id ("id 42", "item 42", "[42]", "#42" beyond the list shown),
since users say numbers (years, ratings, positions) all the time.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

THRESHOLD = 90.0
_SERIES = re.compile(r"\s*\([^)]*#\s*[\d.]+[^)]*\)\s*$")
_FUNCTION_WORDS = frozenset(
    "it us we he she they them me you this that these those then now here there more less again once "
    "always never after before yes no why how who what when where one two".split()
)


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower().replace("’", "'")
    text = re.sub(r"'s\b", "s", text)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def spoken_title(title: str) -> str:
    """A title as a person says it: without a series suffix like "(Mistborn, #1)"."""
    return _SERIES.sub("", title).strip() or title


def title_variants(title: str) -> list[str]:
    """The normalised ways a user could name a title: without a series suffix, the part
    before a colon, and without a leading article."""
    base = _SERIES.sub("", title).strip()
    variants = []
    for variant in (base, base.split(":")[0], re.sub(r"\([^)]*\)", "", base)):
        words = normalize(variant).split()
        if words and words[0] in ("the", "a", "an") and len(words) > 1:
            words = words[1:]
        if words and " ".join(words) not in variants:
            variants.append(" ".join(words))
    return variants


class LeakDetector:
    """``allowed``: attribute values the user may say (a person, a genre); they are taken out of
    an utterance before the title is looked for, so "by Eric Clapton" does not leak
    "Clapton: The Autobiography"."""

    def __init__(self, title: str, item_id: str, threshold: float = THRESHOLD, allowed: list[str] = ()):
        self.title, self.item_id, self.threshold = title, str(item_id), threshold
        self.variants = title_variants(title)
        self.allowed = sorted({normalize(a) for a in allowed if normalize(a)}, key=len, reverse=True)

    def check(self, text: str, shown: int = 0) -> str | None:
        """A description of the leak in ``text``, or None. ``shown``: how many items the user
        can see, so "#3" is a position and not an id."""
        raw = normalize(text)
        if not raw:
            return None
        bare = raw
        for phrase in self.allowed:
            bare = re.sub(rf"\b{re.escape(phrase)}\b", " ", bare)
        bare = " ".join(bare.split())
        for variant in self.variants:
            # a title that an attribute value spells out is looked for outside those values only
            norm = bare if any(variant in phrase for phrase in self.allowed) else raw
            words = norm.split()
            if not norm:
                continue
            if len(variant.split()) >= 2:
                score = fuzz.partial_ratio(variant, norm) if len(norm) >= len(variant) else fuzz.ratio(variant, norm)
                if score >= self.threshold:
                    return f"title {self.title!r} (score {score:.0f})"
            elif variant in words and (variant not in _FUNCTION_WORDS or _named(text, variant)):
                return f"title {self.title!r} (word {variant!r})"
        if self._id_in(text, shown):
            return f"id {self.item_id!r}"
        return None

    def _id_in(self, text: str, shown: int) -> bool:
        ident = re.escape(self.item_id)
        if not self.item_id.isdigit():
            return re.search(rf"(?<![\w-]){ident}(?![\w-])", text, flags=re.I) is not None
        if re.search(rf"\b(?:id|item|item id)\s*[:=]?\s*{ident}\b|\[{ident}\]", text, flags=re.I):
            return True
        if int(self.item_id) > shown:
            return re.search(rf"(?:#|\bnumber\s+|\bno\.?\s*){ident}\b", text, flags=re.I) is not None
        return False


def _named(text: str, word: str) -> bool:
    """A function-word title counts only when quoted or capitalised mid-sentence."""
    if re.search(rf"[\"“'‘]{re.escape(word)}[\"”'’]", text, flags=re.I):
        return True
    for m in re.finditer(rf"\b{re.escape(word.capitalize())}\b", text):
        before = text[: m.start()].rstrip()
        if before and before[-1] not in ".!?\"“":
            return True
    return False
