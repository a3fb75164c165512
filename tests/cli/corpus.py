"""Synthetic labelled corpora for the CLI tests, written from scratch here.

Two sets, both drawn with a fixed seed so that every run sees the same
bytes:

  topic      three classes (economy, science, sport) of news-like
             articles: a title and two to four sentences.  Each class has
             its own vocabulary; the classes share some words pairwise
             ("record", "results", "funding", ...) and all share filler, so
             the set is learnable but not trivially separable.
  sentiment  three classes (negative, neutral, positive) of one-sentence
             items built from templates with shared subjects, with words
             of the other classes mixed in now and then.

split() deals each class's items into train and test in a fixed ratio.
Everything is plain Python (random.Random(seed)), no external data.
"""

import json
import random

SEED = 20250101

TOPIC_WORDS = {
    "economy": "market shares investors profit bank inflation rates earnings"
               " stocks merger dividend revenue quarterly trader bond"
               " currency tariff budget exports lender".split(),
    "science": "researchers laboratory experiment species telescope genome"
               " molecule climate fossil vaccine physics particle journal"
               " samples neurons ocean enzyme protein orbit microscope"
               .split(),
    "sport": "match goal striker coach league tournament referee stadium"
             " penalty champion midfielder fixture trophy defender keeper"
             " squad victory athletes medal semifinal".split(),
}
# Words two classes have in common.
TOPIC_SHARED = {
    ("economy", "science"): "funding data analysis growth forecast".split(),
    ("economy", "sport"): "record deal transfer season contract".split(),
    ("science", "sport"): "results performance team trial measured".split(),
}
FILLER = "the a of to in on and for with after this that new said year" \
         " week on by at from".split()

SUBJECTS = ["The company", "Shares of Acme", "The city council",
            "Officials", "The index", "Northwind Traders", "The union",
            "Local retailers", "The central bank", "Analysts"]
SENTIMENT_WORDS = {
    "negative": "slumped collapsed disappointing losses weak worried poor"
                " declined cuts warned plunged bleak".split(),
    "neutral": "announced scheduled reported published confirmed listed"
               " noted unchanged expected stated".split(),
    "positive": "surged strong gains record improved rallied optimistic"
                " boosted robust soared upbeat impressive".split(),
}
SENTIMENT_TAILS = {
    "negative": ["after a bad quarter", "amid fears of layoffs",
                 "as demand fell", "following heavy losses"],
    "neutral": ["on Tuesday", "in a statement", "for next month",
                "at the annual meeting"],
    "positive": ["after a strong quarter", "as demand grew",
                 "beating forecasts", "on record sales"],
}


def _topic_words(rng, label, n):
    own = TOPIC_WORDS[label]
    shared = [w for pair, ws in TOPIC_SHARED.items() if label in pair
              for w in ws]
    out = []
    for _ in range(n):
        r = rng.random()
        pool = own if r < 0.12 else shared if r < 0.5 else FILLER
        out.append(rng.choice(pool))
    return out


def topic_item(rng, ident, label):
    title = " ".join(_topic_words(rng, label, rng.randint(3, 6)))
    sentences = []
    for _ in range(rng.randint(1, 3)):
        s = " ".join(_topic_words(rng, label, rng.randint(4, 9)))
        sentences.append(s[0].upper() + s[1:] + ".")
    return {"id": ident, "title": title[0].upper() + title[1:],
            "text": " ".join(sentences), "label": label}


def sentiment_item(rng, ident, label):
    words = list(SENTIMENT_WORDS[label])
    # Now and then a word of another class, so that it is not trivial.
    if rng.random() < 0.5:
        other = rng.choice([c for c in SENTIMENT_WORDS if c != label])
        words = words + [rng.choice(SENTIMENT_WORDS[other])]
    body = " ".join(rng.choice(words) for _ in range(rng.randint(1, 3)))
    tail = label if rng.random() < 0.5 else rng.choice(sorted(SENTIMENT_TAILS))
    text = f"{rng.choice(SUBJECTS)} {body} {rng.choice(SENTIMENT_TAILS[tail])}."
    return {"id": ident, "title": "", "text": text, "label": label}


def make_topic(n_per_class=60, seed=SEED):
    rng = random.Random(seed)
    return [topic_item(rng, f"tp-{label[:3]}-{i:03d}", label)
            for i in range(n_per_class) for label in sorted(TOPIC_WORDS)]


def make_sentiment(n_per_class=60, seed=SEED + 1):
    rng = random.Random(seed)
    return [sentiment_item(rng, f"se-{label[:3]}-{i:03d}", label)
            for i in range(n_per_class) for label in sorted(SENTIMENT_WORDS)]


def split(items, test_every=4):
    """Every test_every-th item of each class goes to test."""
    train, test, seen = [], [], {}
    for it in items:
        k = seen.get(it["label"], 0)
        seen[it["label"]] = k + 1
        (test if k % test_every == test_every - 1 else train).append(it)
    return train, test


def write_jsonl(path, items):
    with open(path, "w", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps(it, ensure_ascii=False) + "\n")
    return path
