"""The FAQ's matcher: free text to the entry it asks about, in either language or both mixed. Text becomes
weighted features (Han character 1- and 2-grams, Latin words with their character 3-grams, the lexicon's
concepts and intents); every question variant and title is a TF-IDF vector (the IDF counts entries, not
variants), and an entry's score blends the best cosine over its variants with the cosine to the centroid of its
variants in the closer language. Everything is computed at load; `match` is a sparse dot product."""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

import numpy as np
import numpy.typing as npt

from bot.faq import lexicon
from bot.faq.content import FAQ_DIR, FaqEntry, load_entries
from bot.i18n import LOCALES

__all__ = ["CONFIDENT_FROM", "Faq", "FaqMatch", "default_faq", "load_faq"]

# The score from which a match is confident, calibrated on tests/data/faq/labelled.toml: off-topic questions
# score below 0.15, banking questions the FAQ does not answer ("the interest rate on deposits") up to about
# 0.26; questions matched right mostly 0.3 and more. Below it, `closest` still offers the likely entries.
CONFIDENT_FROM: Final = 0.28
# An entry's score: this share of its best variant's cosine, the rest from its closest centroid.
_VARIANT_SHARE: Final = 0.6


@dataclass(frozen=True, slots=True)
class FaqMatch:
    entry_id: str | None
    """The best entry when the match is confident, else None."""
    score: float
    """The best entry's similarity, 0 to 1, confident or not."""
    closest: tuple[tuple[str, float], ...]
    """Up to 3 (entry id, score), best first: the entries worth offering when the match is not confident."""

    @property
    def confident(self) -> bool:
        return self.entry_id is not None


# Feature weights by kind (before IDF).
_W_WORD: Final = 1.0
_W_GRAM: Final = 0.15
_W_HAN1: Final = 0.4
_W_HAN2: Final = 1.0
_W_CONCEPT: Final = 1.2
_W_INTENT: Final = 1.0
_UNKNOWN_BOOST: Final = 1.5
_UNKNOWN_BIGRAM: Final = 0.3
_W_CORRECTED: Final = 0.8  # a corrected misspelling counts a little less than the word typed right


class _Analyzer:
    """Text to weighted features; misspelt Latin words are corrected against the words it was built on."""

    def __init__(self, texts: Iterable[str]) -> None:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(m[2] for m in lexicon.words(text) if m[2] and self._is_content(m[2]))
        counts.update(w for w in lexicon.WORD_CONCEPT if w not in counts)
        self._counts = counts
        self._stems = frozenset(lexicon.stem(w) for w in counts)
        self._deleted: dict[str, list[str]] = defaultdict(list)
        for word in counts:
            for variant in lexicon.deletes(word, lexicon.max_typos(word)):
                self._deleted[variant].append(word)

    @staticmethod
    def _is_content(word: str) -> bool:
        return word not in lexicon.STOPWORDS and word not in lexicon.WORD_INTENT

    def _correct(self, word: str) -> str | None:
        """The word of the FAQ that `word` misspells: fewest typos, then the most used; the same first letter."""
        depth = lexicon.max_typos(word)
        if not depth or not word.isalpha():
            return None
        best: tuple[int, int, str] | None = None
        for candidate in {c for d in lexicon.deletes(word, depth) for c in self._deleted.get(d, ())}:
            if candidate[0] != word[0]:
                continue
            distance = lexicon.typos(word, candidate)
            if distance <= min(depth, lexicon.max_typos(candidate)):
                key = (distance, -self._counts[candidate], candidate)
                best = key if best is None or key < best else best
        return None if best is None else best[2]

    def features(self, text: str, *, correct: bool) -> dict[str, float]:
        """Weighted features of `text`; `correct` corrects misspelt words (a query, not a variant)."""
        bag: dict[str, float] = defaultdict(float)
        for match in lexicon.words(text):
            han, word = match.groups()
            if han:
                self._han(han, bag)
            elif word in lexicon.WORD_INTENT:
                bag["?" + lexicon.WORD_INTENT[word]] += _W_INTENT
            elif word not in lexicon.STOPWORDS:
                self._word(word, bag, correct=correct)
        return bag

    @staticmethod
    def _han(run: str, bag: dict[str, float]) -> None:
        run = lexicon.written(run)
        pieces: list[str] = []
        start = 0
        for found in lexicon.HAN_LEXICON_RE.finditer(run):
            word = found.group()
            if word in lexicon.HAN_INTENT:
                if lexicon.HAN_LEXICON[word]:
                    bag["?" + lexicon.HAN_LEXICON[word]] += _W_INTENT
                pieces.append(run[start : found.start()])
                start = found.end()
            else:
                bag["@" + lexicon.HAN_LEXICON[word]] += _W_CONCEPT
        pieces.append(run[start:])
        for piece in pieces:
            for part in lexicon.HAN_BREAK.split(piece):
                for char in part:
                    if char not in lexicon.HAN_NO_UNIGRAM:
                        bag[char] += _W_HAN1
                for i in range(len(part) - 1):
                    bag[part[i : i + 2]] += _W_HAN2

    def _word(self, word: str, bag: dict[str, float], *, correct: bool) -> None:
        weight = 1.0
        if correct and word not in self._counts and lexicon.stem(word) not in self._stems:
            fixed = self._correct(word)
            if fixed is not None:
                word, weight = fixed, _W_CORRECTED
        stem = lexicon.stem(word)
        bag["w" + stem] += _W_WORD * weight
        padded = f"<{stem}>"
        for i in range(len(padded) - 2):
            bag["g" + padded[i : i + 3]] += _W_GRAM * weight
        concept = lexicon.WORD_CONCEPT.get(word) or lexicon.WORD_CONCEPT.get(stem)
        if concept is not None:
            bag["@" + concept] += _W_CONCEPT * weight


class Faq:
    """The entries in display order, and the matcher built over their questions and titles."""

    def __init__(self, entries: Iterable[FaqEntry]) -> None:
        ordered = sorted(entries, key=lambda e: (e.order, e.id))
        self.entries: Mapping[str, FaqEntry] = MappingProxyType({e.id: e for e in ordered})
        # A client's free text is matched twice in a row (their own tier first, then the FAQ): the second is free.
        self._recent = functools.lru_cache(maxsize=1_024)(self._match)
        self._ids = tuple(self.entries)
        documents: list[tuple[int, str, str]] = [
            (number, locale, text)
            for number, entry in enumerate(ordered)
            for locale in LOCALES
            for text in (entry.titles[locale], *entry.questions[locale])
        ]
        self._analyzer = _Analyzer(text for _, _, text in documents)
        bags = [self._analyzer.features(text, correct=False) for _, _, text in documents]
        # Inverse entry frequency: a feature that all the variants of one entry share is no less telling for it.
        used_by: dict[str, set[int]] = defaultdict(set)
        for (number, _, _), bag in zip(documents, bags, strict=True):
            for feature in bag:
                used_by[feature].add(number)
        self._idf = {f: math.log((1 + len(ordered)) / (1 + len(n))) + 1 for f, n in used_by.items()}
        self._unknown_idf = (math.log(1 + len(ordered)) + 1) * _UNKNOWN_BOOST

        rows = [self._vector(bag) for bag in bags]
        # One centroid per entry and locale, after the variants, in the same order of entries.
        groups: dict[tuple[int, str], list[dict[str, float]]] = defaultdict(list)
        for (number, locale, _), row in zip(documents, rows, strict=True):
            groups[number, locale].append(row)
        for number in range(len(ordered)):
            for locale in LOCALES:
                centroid: dict[str, float] = defaultdict(float)
                for row in groups[number, locale]:
                    for feature, value in row.items():
                        centroid[feature] += value
                rows.append(_unit(centroid))
        self._variants = len(documents)
        starts = [i for i, doc in enumerate(documents) if i == 0 or documents[i - 1][0] != doc[0]]
        self._starts = np.array(starts, dtype=np.intp)
        self._rows = len(rows)

        # Postings per feature (a sparse matrix by column): the rows holding it and their weights.
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for number, row in enumerate(rows):
            for feature, value in row.items():
                postings[feature].append((number, value))
        self._postings: dict[str, tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]] = {
            feature: (
                np.array([n for n, _ in pairs], dtype=np.intp),
                np.array([v for _, v in pairs], dtype=np.float64),
            )
            for feature, pairs in postings.items()
        }

    def _vector(self, bag: Mapping[str, float]) -> dict[str, float]:
        return _unit({f: w * self._idf.get(f, self._unknown(f)) for f, w in bag.items()})

    def _unknown(self, feature: str) -> float:
        """The weight of a feature no variant has: an unknown word tells that the question is about something
        else, but most unknown Han bigrams straddle two words ("把钱" of "我把钱转走") and tell little."""
        return self._unknown_idf * (_UNKNOWN_BIGRAM if len(feature) == 2 and feature[0] >= "\u3400" else 1.0)

    def scores(self, text: str) -> npt.NDArray[np.float64]:
        """Every entry's score for `text`, in the order of `entries`."""
        query = self._vector(self._analyzer.features(text, correct=True))
        hits = [(self._postings[f], w) for f, w in query.items() if f in self._postings]
        # Question words alone ("who are you?") match nothing: an intent needs a topic.
        if not any(f[0] != "?" and f in self._postings for f in query):
            return np.zeros(len(self._ids))
        rows = np.concatenate([p[0] for p, _ in hits])
        values = np.concatenate([p[1] * w for p, w in hits])
        sims = np.bincount(rows, weights=values, minlength=self._rows)
        best_variant = np.maximum.reduceat(sims[: self._variants], self._starts)
        best_centroid = sims[self._variants :].reshape(len(self._ids), len(LOCALES)).max(axis=1)
        scores: npt.NDArray[np.float64] = _VARIANT_SHARE * best_variant + (1 - _VARIANT_SHARE) * best_centroid
        return np.clip(scores, 0.0, 1.0)

    def match(self, text: str) -> FaqMatch:
        """The entry `text` asks about, in either language whatever the reader's, or the closest ones."""
        return self._recent(text)

    def _match(self, text: str) -> FaqMatch:
        scores = self.scores(text)
        top = np.argsort(-scores, kind="stable")[:3]
        closest = tuple((self._ids[i], float(scores[i])) for i in top if scores[i] > 0)
        best = closest[0][1] if closest else 0.0
        return FaqMatch(entry_id=closest[0][0] if best >= CONFIDENT_FROM else None, score=best, closest=closest)

    def title(self, entry_id: str, locale: str) -> str:
        return self.entries[entry_id].titles[locale]

    def answer(self, entry_id: str, locale: str) -> str:
        """The answer's Jinja2 source, for `bot.i18n.rendering.render_string(source, me=..., rules=...)`."""
        return self.entries[entry_id].answers[locale]


def _unit(vector: Mapping[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {f: v / norm for f, v in vector.items()} if norm else {}


def load_faq(directory: Path = FAQ_DIR) -> Faq:
    """The FAQ of every `<id>.toml` of `directory`, checked; FaqError on the first file that cannot be used."""
    return Faq(load_entries(directory))


@functools.cache
def default_faq() -> Faq:
    """The FAQ that ships with tierbot, loaded once."""
    return load_faq()
