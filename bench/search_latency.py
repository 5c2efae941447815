"""Search latency benchmark: hybrid search (Whoosh BM25 + real embeddings) over a synthetic corpus.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/search_latency.py --articles 10000
    HF_HUB_OFFLINE=1 .venv/bin/python bench/search_latency.py --articles 100000 --queries 300

Prints ONE JSON object on stdout; progress goes to stderr. Steps:

1. Corpus + index (cached under bench/.cache/articles-N-vX/, built once in a child process):
   deterministic municipal customer-service articles recombined from the demo articles
   (app/demo/data/articles.jsonl) and the StackFAQ answers, imported with
   `knowledge.importing.import_articles`, indexed with `SearchService.open` (Whoosh + MiniLM/e5).
2. In-process: a fresh process opens the index like a web worker does (`open_seconds`, `rss_mb`),
   pays the model load on the first query (`first_query_ms`), then times distinct customer queries
   with `SearchService.search` (query-vector cache empty for each one, so query embedding is included).
   Every phase is timed by wrapping the service's own objects (no product code is changed).
3. HTTP: gunicorn (`app:create_app()`) on 127.0.0.1, every worker warmed up (seen in the access log),
   then the same queries as GET /api/v1/search, one client, measured on the client.
"""
from __future__ import annotations

import argparse
import html
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

CACHE = os.path.join(ROOT, "bench", ".cache")
DEMO = os.path.join(ROOT, "app", "demo", "data", "articles.jsonl")
STACKFAQ = "/work/shared/data/stackfaq/stackExchange-FAQ.json"
CORPUS_VERSION = 1  # bump when the generator changes: the cache key includes it
SEED = 20260302
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


def _shipped_embedders() -> dict[str, str]:
    """The embedders the product ships with (app.search's default), measured as shipped."""
    from app.search import DEFAULT_EMBEDDERS

    return dict(DEFAULT_EMBEDDERS)


EMBEDDERS = _shipped_embedders()


def log(*parts) -> None:
    print(f"[{time.strftime('%H:%M:%S')}]", *parts, file=sys.stderr, flush=True)


def rss_mb(pid: str | int = "self") -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def hwm_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def loadavg() -> float:
    return round(os.getloadavg()[0], 2)


def pct(values: list[float]) -> dict:
    if not values:
        return {}
    import numpy as np
    a = np.asarray(values, dtype=float)
    return {"p50_ms": round(float(np.percentile(a, 50)), 2), "p95_ms": round(float(np.percentile(a, 95)), 2),
            "p99_ms": round(float(np.percentile(a, 99)), 2), "mean_ms": round(float(a.mean()), 2),
            "max_ms": round(float(a.max()), 2), "n": len(values)}


# ---------------------------------------------------------------------------------------------
# Synthetic corpus
# ---------------------------------------------------------------------------------------------

# Place names of the demo municipality, by role, and what they become in a generated article.
_MUNICIPALITY = ["Wadderveen"]
_DISTRICTS = ["Oosterlaan", "Vlietdorp", "Kleinebroek", "Hoogmade-Zuid"]
_STREETS = ["Havenkade", "Stationsweg", "Molenpad", "Kerkstraat"]
_REGION = ["Wadland"]
_PRE = ["Ooster", "Wester", "Noorder", "Zuider", "Hoog", "Laag", "Nieuw", "Oud", "Brug", "Molen", "Haven",
        "Kerk", "Dijk", "Veen", "Zand", "Berg", "Linden", "Eiken", "Wilgen", "Riet", "Vliet", "Klein", "Groot",
        "Wadder", "Heide", "Beek", "Bos", "Schutters", "Sluis", "Vlas"]
_SUF = ["laan", "veen", "dorp", "kade", "hoven", "wijk", "meer", "dam", "horst", "broek", "burg", "zijl",
        "rade", "hem", "gaarde", "loo", "recht", "hout", "mond", "haven"]
_STREET_SUF = ["straat", "weg", "pad", "kade", "laan", "singel", "gracht", "plein", "dreef", "hof"]
_PERSONAS_EN = ["a tenant", "a homeowner", "a student", "a business owner", "a pensioner", "a new resident",
                "an expat", "a landlord", "an informal carer", "a single parent", "a self-employed person",
                "a family with children"]
_QUALIFIERS_NL = ["als huurder", "als ondernemer", "voor mijn ouders", "als student", "met een uitkering",
                  "als nieuwe inwoner", "voor mijn bedrijf", "als mantelzorger"]
_AMOUNT = re.compile(r"€ ?(\d{1,3}(?:,\d{3})*|\d+)(?:[.,](\d{2}))?")
_SECTION = re.compile(r"\n(?=## )")


def _place_names(rng: random.Random) -> tuple[list[str], list[str], list[str]]:
    towns = sorted({p + s for p in _PRE for s in _SUF})
    districts = towns + [t + z for t in towns[::7] for z in ("-Noord", "-Zuid", "-Oost", "-West")]
    streets = sorted({p + s for p in _PRE for s in _STREET_SUF})
    return towns, districts, streets


class CorpusGenerator:
    """Deterministic: the same seed and count always give the same articles."""

    def __init__(self, seed: int = SEED):
        self.rng = random.Random(seed)
        rows = [json.loads(line) for line in open(DEMO, encoding="utf-8") if line.strip()]
        self.demo = {"en": [r for r in rows if r["language"] == "en"],
                     "nl": [r for r in rows if r["language"] == "nl"]}
        self.sections = {lang: [s for r in rs for s in _sections(r["body"])[1:]] for lang, rs in self.demo.items()}
        self.towns, self.districts, self.streets = _place_names(self.rng)
        faq = json.load(open(STACKFAQ, encoding="utf-8"))["root"]["qapair"]
        self.faq = []
        for pair in faq:
            answers = pair["answer"] if isinstance(pair["answer"], list) else [pair["answer"]]
            answers = [_plain_answer(a) for a in answers if isinstance(a, str)]
            answers = [a for a in answers if 15 <= len(a.split()) <= 400]
            rephr = [r for r in (pair.get("rephr") or []) if isinstance(r, str) and r.strip() not in ("", "*")]
            if answers:
                self.faq.append({"question": pair["question"], "rephr": rephr, "answers": answers})

    def _swap_places(self, text: str, mapping: dict[str, str]) -> str:
        for old, new in mapping.items():
            text = text.replace(old, new)
        return text

    def _mapping(self) -> dict[str, str]:
        rng = self.rng
        mapping = {name: rng.choice(self.towns) for name in _MUNICIPALITY}
        mapping.update({name: rng.choice(self.districts) for name in _DISTRICTS})
        mapping.update({name: rng.choice(self.streets) for name in _STREETS})
        mapping.update({name: rng.choice(self.towns) + "land" for name in _REGION})
        return mapping

    def _amounts(self, text: str) -> str:
        rng = self.rng

        def vary(match):
            whole = int(match.group(1).replace(",", ""))
            new = max(1, round(whole * rng.uniform(0.6, 1.6)))
            cents = f".{rng.randrange(0, 100):02d}" if match.group(2) else ""
            return f"€ {new:,}{cents}" if new >= 10000 else f"€ {new}{cents}"

        return _AMOUNT.sub(vary, text)

    def _title(self, base: dict, lang: str, place: str) -> str:
        rng = self.rng
        title = base["title"].rstrip()
        if title.endswith("?") and not title.startswith("Internal"):
            stem = title[:-1]
            if lang == "en":
                if rng.random() < 0.5:
                    stem += f" as {rng.choice(_PERSONAS_EN)}"
                if rng.random() < 0.6 and " in " not in stem:
                    stem += f" in {place}"
                elif rng.random() < 0.3:
                    stem = f"{place}: {stem}"
                if rng.random() < 0.15:
                    stem += f" in {rng.choice(['2025', '2026', 'the summer', 'the holidays', 'an emergency'])}"
            else:
                if rng.random() < 0.5:
                    stem += f" {rng.choice(_QUALIFIERS_NL)}"
                if rng.random() < 0.6 and " in " not in stem:
                    stem += f" in {place}"
            title = stem + "?"
        elif title.startswith("Internal:") and rng.random() < 0.8:
            title = f"{title} ({place}{', ' + rng.choice(['2025', '2026', 'update', 'v2', 'night shift']) if rng.random() < 0.5 else ''})"
        return title

    def _body(self, base: dict, lang: str, words_target: int, faq_note: bool) -> str:
        rng = self.rng
        parts = _sections(base["body"])
        body = [parts[0]]
        words = len(parts[0].split())
        own = parts[1:]
        rng.shuffle(own)
        pool = self.sections[lang]
        while words < words_target:
            if own and rng.random() < 0.7:
                section = own.pop()
            else:
                section = rng.choice(pool)
            if section in body:
                if not own and len(body) > 12:
                    break
                continue
            n = len(section.split())
            if words + n > words_target + 60 and words >= 150:
                break
            body.append(section)
            words += n
        if faq_note and self.faq:
            pair = rng.choice(self.faq)
            answer = " ".join(rng.choice(pair["answers"]).split()[:90])
            body.append(f"## Technical note\n{answer}")
        return "\n\n".join(body)

    def article(self, number: int) -> dict:
        rng = self.rng
        lang = "nl" if rng.random() < 0.10 else "en"
        mapping = self._mapping()
        place = next(iter(mapping.values()))
        audience_roll = rng.random()
        words_target = rng.randint(150, 350)
        if lang == "en" and rng.random() < 0.05:  # the municipality's digital-services helpdesk
            pair = rng.choice(self.faq)
            title = rng.choice(pair["rephr"] or [pair["question"]]).strip()
            if not title.endswith("?"):
                title = title.rstrip(".") + "?"
            answers = list(pair["answers"])
            rng.shuffle(answers)
            text, words = [], 0
            for a in answers:
                text.append(a)
                words += len(a.split())
                if words >= words_target:
                    break
            base = rng.choice(self.demo["en"])
            intro = _sections(base["body"])[-1]
            body = " ".join(" ".join(text).split()[:words_target]) + "\n\n" + intro
            if len(body.split()) < 150:
                body += "\n\n" + "\n\n".join(self.rng.sample(self.sections["en"], 2))
        else:
            base = rng.choice(self.demo[lang])
            title = self._title(base, lang, place)
            body = self._body(base, lang, words_target, faq_note=lang == "en" and rng.random() < 0.08)
        # About half public: internal-only demo articles ("Internal: …") stay internal.
        audience = "internal" if title.startswith("Internal") or audience_roll >= 0.62 else "public"
        title = self._swap_places(title, mapping)[:300]
        body = self._amounts(self._swap_places(body, mapping))
        return {"title": title, "body": body, "audience": audience, "language": lang, "status": "published"}

    def lines(self, count: int):
        for number in range(count):
            yield json.dumps(self.article(number), ensure_ascii=False)


def _sections(body: str) -> list[str]:
    parts = [p.strip() for p in _SECTION.split("\n" + body.strip()) if p.strip()]
    return parts or [body]


def _plain_answer(text: str) -> str:
    text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(html.unescape(text).split())


# ---------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------

SHORT_EN = [
    "green bin", "bulky waste", "recycling centre", "opening hours", "afvalpas", "missed collection",
    "extra container", "visitor parking permit", "resident parking permit", "parking fine", "parking rates",
    "disabled parking card", "WOZ value", "WOZ objection", "municipal tax", "tax instalments", "dog tax",
    "kwijtschelding", "waste levy", "building permit", "omgevingsvergunning", "event permit", "street party",
    "cut down tree", "skip on street", "scaffolding", "social assistance", "bijstand", "one-off payment",
    "debt help", "social housing", "urgent housing", "insulation grant", "solar panels", "holiday rental",
    "mould", "passport", "ID card cost", "lost passport", "change of address", "register birth", "marriage",
    "BRP extract", "certificate of good conduct", "VOG", "streetlight", "pothole", "roadworks", "fallen tree",
    "gritting", "charging point", "dumped waste", "household help", "Wmo", "wheelchair", "mobility scooter",
    "eigen bijdrage", "youth care", "jeugdhulp", "wijkteam", "informal carers", "DigiD", "regiotaxi", "moving",
    "appointment", "garden waste", "bin", "permit", "tax", "fine", "refund", "grant",
]
SENTENCES_EN = [
    "how do I get a parking permit for my visitors", "my bin was not emptied today what now",
    "when is the green bin collected in {place}", "how can I object to my WOZ value",
    "can I pay my municipal tax in instalments", "I lost my passport on holiday what should I do",
    "what does a new ID card cost", "how do I register my new address after moving to {place}",
    "do I need a permit to build a dormer", "how long does a building permit take",
    "can I put a skip in front of my house", "who removes a fallen tree after the storm",
    "the streetlight in my street is broken", "there is a big pothole on the {street}",
    "I cannot pay my rent and have debts", "how do I apply for bijstand",
    "when is the social assistance paid this month", "can I get help paying for a new washing machine",
    "how do I register my dog for dog tax", "my dog died do I still pay dog tax",
    "how do I book bulky waste pickup", "what are the opening hours of the recycling centre in {place}",
    "is there a grant for insulating my house", "my landlord does not fix the mould in the bathroom",
    "how do I get urgent housing after a divorce", "how do I register as a home seeker",
    "I need a wheelchair for my mother", "how much is the personal contribution for household help",
    "who can help with youth care for my son", "how do I contact the wijkteam in {place}",
    "can we get married at the town hall", "how do I register the birth of my daughter",
    "I need a certificate of good conduct for a new job", "how to object to a parking fine",
    "where can I park in the centre and what does it cost", "can I get a charging point near my house",
    "somebody dumped rubbish next to the container", "how do I apply for a disabled parking space",
    "can I rent out my house on airbnb", "when will the roadworks on the {street} be finished",
    "is my street on the gritting route", "how do I apply for an event permit for a street party in {place}",
]
DUTCH = [
    "grofvuil ophalen", "hondenbelasting afmelden", "hoe vraag ik een parkeervergunning aan",
    "wanneer wordt mijn container geleegd", "bijzondere bijstand wasmachine", "verhuizing doorgeven",
    "regiotaxi pas aanvragen", "vergunning evenement", "extra container aanvragen", "paspoort kwijt",
    "hoe meld ik mijn hond af", "grotere container aanvragen", "verhuizen binnen de gemeente",
    "wanneer moet ik een vergunning aanvragen voor een buurtfeest", "koelkast kapot geen geld",
    "adreswijziging", "vergunning", "bijstand aanvragen", "regiotaxi", "container kapot",
    "hoe vraag ik bijzondere bijstand aan", "ik ga verhuizen naar {place}",
]
CITY_WORDS = ["{place}", "{street}"]


def _typo(rng: random.Random, text: str) -> str:
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if len(letters) < 4:
        return text
    i = rng.choice(letters[1:-1])
    op = rng.randrange(4)
    if op == 0:  # swap with the next character
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    if op == 1:  # drop
        return text[:i] + text[i + 1:]
    if op == 2:  # double
        return text[:i] + text[i] + text[i:]
    near = "qwertyuiopasdfghjklzxcvbnm"
    j = near.index(text[i].lower()) if text[i].lower() in near else 0
    return text[:i] + near[(j + rng.choice((-1, 1))) % len(near)] + text[i + 1:]


def _prefix(rng: random.Random, text: str) -> str:
    words = text.split()
    keep = words[:rng.randint(1, len(words))]
    last = keep[-1]
    if len(last) > 3:
        keep[-1] = last[:rng.randint(3, len(last) - 1)]
    return " ".join(keep)


class QueryGenerator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        towns, districts, streets = _place_names(random.Random(SEED))
        self.places, self.streets = districts, streets
        faq = json.load(open(STACKFAQ, encoding="utf-8"))["root"]["qapair"]
        self.faq = [r.strip() for p in faq for r in (p.get("rephr") or []) if isinstance(r, str) and r.strip() != "*"]

    def _fill(self, text: str) -> str:
        return text.replace("{place}", self.rng.choice(self.places)).replace("{street}", self.rng.choice(self.streets))

    def one(self) -> tuple[str, str]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.28:
            words = rng.choice(SHORT_EN)
            if rng.random() < 0.25:
                words += " " + self._fill(rng.choice(CITY_WORDS))
            return "short", words
        if roll < 0.50:
            return "sentence", self._fill(rng.choice(SENTENCES_EN))
        if roll < 0.70:
            return "prefix", _prefix(rng, self._fill(rng.choice(SHORT_EN + SENTENCES_EN)))
        if roll < 0.82:
            return "dutch", self._fill(rng.choice(DUTCH))
        if roll < 0.92:
            return "typo", _typo(rng, self._fill(rng.choice(SHORT_EN + SENTENCES_EN)))
        return "stackfaq", rng.choice(self.faq)

    def distinct(self, count: int, exclude: set[str] = frozenset()) -> list[tuple[str, str]]:
        seen, out = set(exclude), []
        for _ in range(count * 50):
            kind, q = self.one()
            key = " ".join(q.lower().split())
            if key and key not in seen:
                seen.add(key)
                out.append((kind, q))
                if len(out) == count:
                    break
        return out


# ---------------------------------------------------------------------------------------------
# Building (child process)
# ---------------------------------------------------------------------------------------------

def cache_dir(articles: int) -> str:
    return os.path.join(CACHE, f"articles-{articles}-v{CORPUS_VERSION}")


def bench_config(folder: str) -> dict:
    return {
        "VRAAGBAAK_ENV": "testing",
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(folder, "vraagbaak.db"),
        "INDEX_DIR": os.path.join(folder, "index"),
        "SEARCH_EMBEDDERS": dict(EMBEDDERS),
        "SEARCH_SYNC": "before_search",
    }


class Timer:
    """Accumulates wall time and process CPU time of wrapped callables, per name; time spent in a
    wrapped callable that runs inside another wrapped one counts only for the inner one."""

    def __init__(self):
        self.totals: dict[str, float] = {}
        self.current: dict[str, float] = {}
        self.current_cpu: dict[str, float] = {}
        self._children: list[list[float]] = []

    def wrap(self, name: str, fn):
        def wrapped(*args, **kwargs):
            self._children.append([0.0, 0.0])
            start, start_cpu = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
                inner, inner_cpu = self._children.pop()
                if self._children:
                    self._children[-1][0] += elapsed
                    self._children[-1][1] += cpu
                self.totals[name] = self.totals.get(name, 0.0) + elapsed - inner
                self.current[name] = self.current.get(name, 0.0) + elapsed - inner
                self.current_cpu[name] = self.current_cpu.get(name, 0.0) + cpu - inner_cpu
        wrapped.__wrapped__ = fn
        return wrapped


def _call_supported(fn, *args, **kwargs):
    """Call with only the keyword arguments `fn` accepts (the product's signatures evolve)."""
    import inspect
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn(*args, **kwargs)
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in params}
    return fn(*args, **kwargs)


def build(articles: int, embed_sample: int | None = None) -> None:
    from sqlalchemy.orm import Session

    from app import create_app
    from app.extensions import db
    from app.search import build_search_service
    from knowledge.base import Base
    from knowledge.importing import import_articles

    folder = cache_dir(articles)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    app = create_app(bench_config(folder))
    meta = {"articles": articles, "corpus_version": CORPUS_VERSION, "seed": SEED, "embedders": EMBEDDERS,
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "loadavg_1m_start": loadavg(),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}
    with app.app_context():
        Base.metadata.create_all(db.engine)
        gen = CorpusGenerator()
        started = time.perf_counter()
        langs, audiences, words = {"en": 0, "nl": 0}, {"public": 0, "internal": 0}, 0

        def lines():
            nonlocal words
            for line in gen.lines(articles):
                row = json.loads(line)
                langs[row["language"]] += 1
                audiences[row["audience"]] += 1
                words += len(row["body"].split())
                yield line

        def progress(number):
            if number % 5000 == 0:
                log(f"imported {number}/{articles} ({time.perf_counter() - started:.0f}s, load {loadavg()})")

        with Session(db.engine) as session:
            report = _call_supported(import_articles, session, NOW, lines(), progress=progress, commit_every=1000)
        meta["corpus_seconds"] = round(time.perf_counter() - started, 1)
        if report.errors:
            raise SystemExit(f"import errors: {report.errors[:5]}")
        meta.update(imported=report.imported, languages=langs, audiences=audiences,
                    avg_words=round(words / max(1, articles), 1))
        log(f"corpus: {report.imported} articles in {meta['corpus_seconds']}s; {langs} {audiences}")

        service = build_search_service(app, bulk=True)  # as `flask kb reindex` builds it
        if embed_sample:
            with Session(db.engine) as session:
                meta["embedding_sample"] = embed_a_sample(service, session, embed_sample)
                meta["synthetic_vectors"] = fill_missing_vectors(service, session)
        timer = _instrument_indexing(service)
        started = time.perf_counter()

        def index_progress(done, total):
            if done % 5120 < 256 or done == total:
                log(f"indexed {done}/{total} ({time.perf_counter() - started:.0f}s, load {loadavg()}) "
                    + " ".join(f"{k}={v:.0f}s" for k, v in timer.totals.items()))

        with Session(db.engine) as session:
            service.open(session, progress=index_progress)
        meta["index_seconds"] = round(time.perf_counter() - started, 1)
        meta["index_phases_seconds"] = {k: round(v, 1) for k, v in timer.totals.items()}
        if embed_sample:
            # What a rebuild would take: this open() (Whoosh, vectors reused) plus embedding every
            # document at the rate measured on the sample.
            sample = meta["embedding_sample"]
            meta["index_seconds_measured_open"] = meta["index_seconds"]
            meta["index_seconds"] = round(meta["index_seconds"] + sample["projected_seconds_all"], 1)
            meta["index_seconds_projected"] = True
        meta["loadavg_1m_end"] = loadavg()
        service.fulltext.close()
        db.engine.dispose()
    with open(os.path.join(folder, "meta.json.tmp"), "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(os.path.join(folder, "meta.json.tmp"), os.path.join(folder, "meta.json"))
    log(f"index: {meta['index_seconds']}s {meta['index_phases_seconds']}")


def embed_a_sample(service, session, count: int) -> dict:
    """Bench-only shortcut for a corpus whose full embedding would take hours (e5 reads ~2 whole
    articles a second on this machine): embed `count` articles spread over the corpus with the
    product's own `embed_and_store` and models (every core, as `flask kb reindex`), and project the
    rate onto every published article. The rest get copies (`fill_missing_vectors`), so the cost per
    query is real; ranking over the copies is not. Reported as `embedding_sample`."""
    from knowledge.search import ArticleSource, embed_and_store

    source = ArticleSource()
    ids = list(source.all_ids(session))
    step = max(1, len(ids) // count)
    docs = [d for d in source.documents(session, ids[::step][:count]).values() if d is not None]
    seconds = 0.0
    per_model: dict[str, int] = {}
    for space in {id(s): s for s in service.spaces.values()}.values():
        mine = [d for d in docs if service.embedder_for(d.language) is space.embedder]
        started = time.perf_counter()
        embed_and_store(session, space, mine)
        seconds += time.perf_counter() - started
        per_model[space.embedder.name] = len(mine)
    session.commit()
    rate = len(docs) / seconds if seconds else 0.0
    log(f"embedded a sample of {len(docs)} articles in {seconds:.0f}s ({rate:.2f}/s)")
    return {"articles": len(docs), "per_model": per_model, "seconds": round(seconds, 1),
            "docs_per_second": round(rate, 2), "published": len(ids),
            "projected_seconds_all": round(len(ids) / rate, 1) if rate else None}


def _instrument_indexing(service) -> Timer:
    timer = Timer()
    service.fulltext.write = timer.wrap("whoosh_write", service.fulltext.write)
    for embedder in {id(e): e for e in service.embedders.values()}.values():
        embedder.embed_documents = timer.wrap(f"embed_{embedder.name}", embedder.embed_documents)
    return timer


def index_state(articles: int) -> dict:
    """Does the cached index still fit the product code? (No side effects: nothing is opened for writing.)"""
    import sqlite3

    import knowledge.search.fulltext as fulltext_module  # white-box: the schema version it wants
    from whoosh import index as whoosh_index

    folder = cache_dir(articles)
    whoosh_dir = os.path.join(folder, "index", "whoosh")
    state = {"schema_wanted": getattr(fulltext_module, "SCHEMA_VERSION", None), "schema_found": None,
             "whoosh_docs": None, "published": None}
    try:
        with open(os.path.join(whoosh_dir, "schema-version")) as f:
            state["schema_found"] = f.read().strip()
    except OSError:
        pass
    try:
        state["whoosh_docs"] = whoosh_index.open_dir(whoosh_dir).doc_count()
    except Exception:
        pass
    with sqlite3.connect(os.path.join(folder, "vraagbaak.db")) as conn:
        state["published"] = conn.execute("SELECT count(*) FROM articles WHERE status = 'published'").fetchone()[0]
    state["current"] = (state["schema_found"] == state["schema_wanted"]
                        and state["whoosh_docs"] == state["published"])
    return state


def fill_missing_vectors(service, session) -> dict[str, int]:
    """Bench-only shortcut for an interrupted build: every published article without a stored vector
    gets a copy of the real vector of another article of its language (stored under its own content
    hash, so the product reuses it). Same matrix size and cost per query; ranking quality is not
    representative for those rows. Reported as `synthetic_vectors` in the output."""
    import numpy as np
    from sqlalchemy import insert, select

    from knowledge.models import DocumentVector
    from knowledge.search import ArticleSource, stored_model

    rng = random.Random(SEED)
    source = ArticleSource()
    ids = list(source.all_ids(session))
    filled: dict[str, int] = {}
    donors: dict[str, list[bytes]] = {}
    for lang, embedder in service.embedders.items():
        if embedder.name not in donors:
            rows = session.execute(select(DocumentVector.vector).where(DocumentVector.model == stored_model(embedder))
                                   .limit(5000)).scalars().all()
            donors[embedder.name] = list(rows)
    have = {key for (key,) in session.execute(select(DocumentVector.doc_key))}
    for first in range(0, len(ids), 1000):
        chunk = [i for i in ids[first:first + 1000] if f"article:{i}" not in have]
        if not chunk:
            continue
        rows = []
        for i, doc in source.documents(session, chunk).items():
            if doc is None:
                continue
            model = service.embedder_for(doc.language).name
            if not donors.get(model):
                raise RuntimeError(f"no stored {model} vector to copy")
            vector = np.frombuffer(rng.choice(donors[model]), dtype=np.float32)
            rows.append({"doc_key": doc.key, "model": stored_model(service.embedder_for(doc.language)),
                         "content_hash": doc.content_hash,
                         "vector": vector.tobytes()})
            filled[model] = filled.get(model, 0) + 1
        session.execute(insert(DocumentVector), rows)
        session.commit()
        log(f"synthetic vectors so far: {filled}")
    return filled


def relabel_old_vectors(service, session) -> dict[str, int]:
    """Bench-only shortcut after the product changed its vector recipe: vectors stored under the bare
    model name (previous recipe: title only) are copied under the current storage key, so the cache
    need not be embedded again (hours at 100k). Same cost per query; ranking differs slightly from
    the current recipe for those rows. Reported as `relabeled_vectors`."""
    from sqlalchemy import text

    try:
        from knowledge.search import stored_model
    except ImportError:
        return {}
    done = {}
    for embedder in {id(e): e for e in service.embedders.values()}.values():
        new = stored_model(embedder)
        if new == embedder.name:
            continue
        result = session.execute(text(
            "INSERT OR IGNORE INTO document_vectors (doc_key, model, content_hash, vector) "
            "SELECT doc_key, :new, content_hash, vector FROM document_vectors WHERE model = :old"),
            {"new": new, "old": embedder.name})
        done[new] = result.rowcount
    session.commit()
    log(f"relabeled vectors of the previous recipe: {done}")
    return done


def prepare(articles: int, fill_vectors: bool = False, relabel: bool = False) -> None:
    """Bring a cached index up to the current product code (schema changes), timing what it costs."""
    from sqlalchemy.orm import Session

    from app import create_app
    from app.extensions import db
    from app.search import build_search_service

    folder = cache_dir(articles)
    sync_schema(articles)
    before = index_state(articles)
    if before["whoosh_docs"] != before["published"]:
        # An index that is incomplete but looks current (e.g. emptied by a schema change, then the
        # process died) is not rebuilt by open(): start from nothing so that open() rebuilds.
        log(f"index holds {before['whoosh_docs']} of {before['published']} documents: removing it")
        shutil.rmtree(os.path.join(folder, "index"), ignore_errors=True)
    app = create_app(bench_config(folder))
    with app.app_context():
        service = build_search_service(app, bulk=True)  # as `flask kb reindex` builds it
        timer = _instrument_indexing(service)
        started = time.perf_counter()
        last = [started]

        def progress(done, total):
            if time.perf_counter() - last[0] > 30 or done == total:
                last[0] = time.perf_counter()
                log(f"reindexed {done}/{total} ({time.perf_counter() - started:.0f}s, load {loadavg()})")

        filled, relabeled = {}, {}
        if relabel:
            with Session(db.engine) as session:
                relabeled = relabel_old_vectors(service, session)
        if fill_vectors:
            with Session(db.engine) as session:
                filled = fill_missing_vectors(service, session)
        started = time.perf_counter()
        with Session(db.engine) as session:
            service.open(session, progress=progress)
            reason = "open() with the current code"
            if service.fulltext.doc_count() != before["published"]:
                # e.g. an index emptied by a schema change but marked current (see the report)
                log(f"index holds {service.fulltext.doc_count()} documents, database {before['published']}: rebuild")
                service.rebuild(session, progress=progress)
                reason = "open() left a stale index: explicit rebuild()"
        seconds = round(time.perf_counter() - started, 1)
        service.fulltext.close()
        db.engine.dispose()
    meta_path = os.path.join(folder, "meta.json")
    with open(meta_path) as f:
        meta = json.load(f)
    if filled:
        meta["synthetic_vectors"] = filled
    if relabeled:
        meta["relabeled_vectors"] = relabeled
    meta["current_code_reindex"] = {"seconds": seconds, "reason": reason, "before": before,
                                    "phases_seconds": {k: round(v, 1) for k, v in timer.totals.items()},
                                    "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                    "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}
    with open(meta_path + ".tmp", "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(meta_path + ".tmp", meta_path)
    log(f"reindexed for the current code in {seconds}s {meta['current_code_reindex']['phases_seconds']}")


def sync_schema(articles: int) -> list[str]:
    """Bring a cached bench database up to the current models: the product's migrations only add
    tables, nullable columns and indexes, so the cache need not be imported again (SQLite only)."""
    from sqlalchemy import create_engine, inspect, text

    import knowledge.models  # noqa: F401  (registers the tables)
    import routing.models  # noqa: F401
    from knowledge.base import Base

    engine = create_engine("sqlite:///" + os.path.join(cache_dir(articles), "vraagbaak.db"))
    changes = []
    try:
        before = set(inspect(engine).get_table_names())
        Base.metadata.create_all(engine)  # missing tables, with their indexes
        inspector = inspect(engine)
        changes += [f"table {t}" for t in sorted(set(inspector.get_table_names()) - before)]
        with engine.begin() as conn:
            for table in Base.metadata.sorted_tables:
                have = {c["name"] for c in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name in have:
                        continue
                    ddl = f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {column.type.compile(engine.dialect)}'
                    default = getattr(column.default, "arg", None) if column.default is not None else None
                    if not column.nullable and isinstance(default, (bool, int, float, str)):
                        literal = int(default) if isinstance(default, bool) else default
                        ddl += f" NOT NULL DEFAULT {literal!r}"
                    conn.execute(text(ddl))
                    changes.append(f"column {table.name}.{column.name}")
                indexes = {i["name"] for i in inspector.get_indexes(table.name)}
                for index in table.indexes:
                    if index.name and index.name not in indexes:
                        index.create(conn)
                        changes.append(f"index {index.name}")
    finally:
        engine.dispose()
    if changes:
        log(f"cached database brought up to the current models: {changes}")
    return changes


def freshen_review_dates(articles: int) -> int:
    """The corpus was published on the build date with review dates 180 days later; once those pass,
    the serving process's background round flags every article (one index change each) and the
    workers spend the benchmark re-indexing. Keep the bench's review dates in the future, and undo
    such a round if one happened (bench database only)."""
    import sqlite3

    folder = cache_dir(articles)
    with sqlite3.connect(os.path.join(folder, "vraagbaak.db")) as conn:
        cols = {r[1] for r in conn.execute("PRAGMA table_info(articles)")}
        stale = conn.execute("SELECT count(*) FROM articles WHERE review_by < date('now', '+30 days')").fetchone()[0]
        if stale:
            conn.execute("UPDATE articles SET review_by = date('now', '+365 days') "
                         "WHERE review_by < date('now', '+30 days')")
        flagged = 0
        if "flagged_at" in cols:
            flagged = conn.execute("SELECT count(*) FROM articles WHERE flagged_at IS NOT NULL").fetchone()[0]
            conn.execute("UPDATE articles SET flagged_at = NULL, flag_reason = NULL")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "events" in tables:
                conn.execute("DELETE FROM events WHERE kind = 'flagged'")
            if "notifications" in tables:
                conn.execute("DELETE FROM notifications WHERE kind = 'review_due'")
        meta_path = os.path.join(folder, "meta.json")
        with open(meta_path) as f:
            meta = json.load(f)
        last = meta.get("last_change_id")
        if last is None:  # the change log as built: later rows come from bench side effects only
            last = conn.execute("SELECT coalesce(max(id), 0) FROM index_changes").fetchone()[0] if not flagged else None
            if last is not None:
                meta["last_change_id"] = last
                with open(meta_path, "w") as f:
                    json.dump(meta, f, indent=1)
        if last is not None:
            extra = conn.execute("SELECT count(*) FROM index_changes WHERE id > ?", (last,)).fetchone()[0]
            if extra:
                conn.execute("DELETE FROM index_changes WHERE id > ?", (last,))
                applied = os.path.join(folder, "index", "applied-change-id")
                with open(applied, "w") as f:
                    f.write(str(last))
                log(f"removed {extra} index changes made by an earlier bench run's side effects")
    if stale or flagged:
        log(f"review dates moved into the future for {stale} articles; {flagged} flags undone")
    return stale


def ensure_built(articles: int, embed_sample: int | None = None) -> tuple[dict, bool]:
    meta_path = os.path.join(cache_dir(articles), "meta.json")
    cached = os.path.exists(meta_path)
    if not cached:
        log(f"building corpus and index for {articles} articles in {cache_dir(articles)} (child process)")
        sample = ["--embed-sample", str(embed_sample)] if embed_sample else []
        subprocess.run([sys.executable, os.path.abspath(__file__), "--articles", str(articles), "--build-only",
                        *sample], cwd=ROOT, check=True, stdout=sys.stderr)
    sync_schema(articles)
    freshen_review_dates(articles)
    state = index_state(articles)
    if not state["current"]:
        log(f"cached index does not fit the current code ({state}): reindexing (child process)")
        subprocess.run([sys.executable, os.path.abspath(__file__), "--articles", str(articles), "--prepare"],
                       cwd=ROOT, check=True, stdout=sys.stderr)
        state = index_state(articles)
        if not state["current"]:
            raise RuntimeError(f"index still stale after reindexing: {state}")
    with open(meta_path) as f:
        return json.load(f), cached


# ---------------------------------------------------------------------------------------------
# In-process measurement
# ---------------------------------------------------------------------------------------------

def measure_inprocess(articles: int, queries: list[tuple[str, str]], warmup: list[tuple[str, str]]) -> dict:
    import knowledge.search.query as search_module  # white-box: phases are timed by wrapping its functions
    from sqlalchemy.orm import Session

    from app import create_app
    from app.extensions import db
    from app.search import build_search_service

    folder = cache_dir(articles)
    app = create_app(bench_config(folder))
    out: dict = {"rss_mb_before_open": rss_mb()}
    with app.app_context():
        service = build_search_service(app)
        started = time.perf_counter()
        with Session(db.engine) as session:
            service.open(session)
        out["open_seconds"] = round(time.perf_counter() - started, 2)
        out["rss_mb_after_open"] = rss_mb()
        log(f"opened index in {out['open_seconds']}s, rss {out['rss_mb_after_open']} MB")

        def customer(text):
            # What an anonymous visitor's search asks (routing.searching.search_and_log, role public).
            return service.search(text, public_only=True, kinds=("article",), limit=10, today=NOW.date())

        started = time.perf_counter()
        first = customer("How do I get a parking permit for a visitor?")
        out["first_query_ms"] = round((time.perf_counter() - started) * 1000, 1)
        out["first_query_hits"] = len(first)
        for _, q in warmup:
            customer(q)
        out["rss_mb"] = rss_mb()

        # Phase wrappers on this service's own objects (instance attributes shadow the methods).
        timer = Timer()
        service.keywords.search = timer.wrap("keyword_search", service.keywords.search)
        service.fulltext.snippets = timer.wrap("snippets", service.fulltext.snippets)
        for space in service.spaces.values():
            space.nearest = timer.wrap(f"nearest_{space.embedder.name}", space.nearest)
            space.embedder.embed_queries = timer.wrap(f"embed_query_{space.embedder.name}",
                                                      space.embedder.embed_queries)
        service.query._hit = timer.wrap("build_hits", service.query._hit)
        original_fuse = search_module.fuse
        search_module.fuse = timer.wrap("fuse", original_fuse)
        from knowledge.search import clean_query

        totals, phases, by_kind, hit_counts = [], {}, {}, []
        cpu_totals, cpu_phases = [], {}
        models_per_query: dict[int, int] = {}
        guess = getattr(search_module, "guess_language", None)
        guessed: dict[str, int] = {}
        try:
            service.query._query_vectors.clear()
            load_start = loadavg()
            for kind, q in queries:
                timer.current, timer.current_cpu = {}, {}
                started, started_cpu = time.perf_counter(), time.process_time()
                hits = customer(q)
                ms = (time.perf_counter() - started) * 1000
                cpu_ms = (time.process_time() - started_cpu) * 1000
                cpu_totals.append(cpu_ms)
                current_cpu = {k: v * 1000 for k, v in timer.current_cpu.items()}
                current_cpu["other"] = cpu_ms - sum(current_cpu.values())
                for k, v in current_cpu.items():
                    cpu_phases.setdefault(k, []).append(v)
                totals.append(ms)
                by_kind.setdefault(kind, []).append(ms)
                hit_counts.append(len(hits))
                current = {k: v * 1000 for k, v in timer.current.items()}
                current["other"] = ms - sum(current.values())
                for k, v in current.items():
                    phases.setdefault(k, []).append(v)
                embeds = sum(1 for k in current if k.startswith("embed_query_"))
                models_per_query[embeds] = models_per_query.get(embeds, 0) + 1
                words = clean_query(q)
                if guess and words:
                    g = str(guess(words))
                    guessed[g] = guessed.get(g, 0) + 1
            out["loadavg_1m_during"] = round((load_start + loadavg()) / 2, 2)
            out["inprocess"] = pct(totals)
            out["inprocess_by_kind"] = {k: pct(v) for k, v in sorted(by_kind.items())}
            # Each phase over all queries (a phase that did not run in a query counts 0 ms there).
            n = len(totals)
            out["phases_ms"] = {k: pct(v + [0.0] * (n - len(v))) for k, v in sorted(phases.items())}
            # Process CPU time (all threads): less sensitive to other jobs on the machine than wall time;
            # for single-threaded phases it is what the wall time would be on an idle machine.
            out["inprocess_cpu"] = pct(cpu_totals)
            out["phases_cpu_ms"] = {k: pct(v + [0.0] * (n - len(v))) for k, v in sorted(cpu_phases.items())}
            out["query_embeddings_per_query"] = {str(k): v for k, v in sorted(models_per_query.items())}
            if guessed:
                out["query_language_guess"] = guessed
            out["avg_hits"] = round(statistics.mean(hit_counts), 2)
            out["zero_hit_queries"] = sum(1 for n in hit_counts if n == 0)
            log(f"in-process: {out['inprocess']}")

            # Again, with every query vector cached: the cost of everything except query embedding.
            cached = []
            for _, q in queries:
                started = time.perf_counter()
                customer(q)
                cached.append((time.perf_counter() - started) * 1000)
            out["inprocess_query_vectors_cached"] = pct(cached)

            # Staff search (internal articles too): the larger candidate set, vectors cached.
            staff = []
            for _, q in queries[: max(50, len(queries) // 3)]:
                started = time.perf_counter()
                service.search(q, public_only=False, limit=10, today=NOW.date())
                staff.append((time.perf_counter() - started) * 1000)
            out["inprocess_staff_query_vectors_cached"] = pct(staff)
        finally:
            search_module.fuse = original_fuse
        out["rss_mb_peak"] = hwm_mb()
        service.fulltext.close()
    return out


# ---------------------------------------------------------------------------------------------
# HTTP measurement (gunicorn)
# ---------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port: int, q: str, timeout: float = 900.0) -> tuple[float, int, dict | None]:
    url = f"http://127.0.0.1:{port}/api/v1/search?" + urllib.parse.urlencode({"q": q, "limit": 10})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    ms = (time.perf_counter() - started) * 1000
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    return ms, status, data


def worker_pids(master: int) -> list[int]:
    try:
        with open(f"/proc/{master}/task/{master}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def answered_pids(access_log: str) -> set[int]:
    pids = set()
    try:
        with open(access_log) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[1] == "/api/v1/search" and parts[2] == "200":
                    pids.add(int(parts[0].strip("<>")))
    except OSError:
        pass
    return pids


def measure_http(articles: int, queries: list[tuple[str, str]], warmup: list[tuple[str, str]], *,
                 workers: int, concurrency: int, production_sync: bool) -> dict:
    folder = cache_dir(articles)
    instance = os.path.join(folder, "instance")
    os.makedirs(instance, exist_ok=True)
    with open(os.path.join(instance, "config.py"), "w") as f:
        f.write("# Written by bench/search_latency.py\n")
        f.write('VRAAGBAAK_ENV = "production"\nSECRET_KEY = "bench"\n')
        f.write(f"SQLALCHEMY_DATABASE_URI = {('sqlite:///' + os.path.join(folder, 'vraagbaak.db'))!r}\n")
        f.write(f"INDEX_DIR = {os.path.join(folder, 'index')!r}\n")
        f.write(f"SEARCH_EMBEDDERS = {EMBEDDERS!r}\n")
        f.write(f"SEARCH_SYNC = {'background' if production_sync else 'before_search'!r}\n")
        # One client address sends every query: lift the search rate limit (its code still runs).
        f.write("from app.ratelimit import DEFAULT_LIMITS as _limits\n"
                "RATE_LIMITS = {**_limits, 'search': (10**9, 60)}\n")
    access_log = os.path.join(folder, "gunicorn-access.log")
    server_log = os.path.join(folder, "gunicorn.log")
    for path in (access_log,):
        if os.path.exists(path):
            os.remove(path)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "INDEX_DIR", "VRAAGBAAK_ENV", "SECRET_KEY")}
    env.update(VRAAGBAAK_INSTANCE_PATH=instance, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    cmd = [gunicorn, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "900",
           "--access-logfile", access_log, "--access-logformat", "%(p)s %(U)s %(s)s %(M)s",
           "--error-logfile", server_log, "app:create_app()"]
    out: dict = {"workers": workers, "concurrency": concurrency, "search_rate_limit": "lifted for the bench client",
                 "search_sync": "background" if production_sync else "before_search"}
    log("starting", " ".join(cmd))
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline = time.time() + 120
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {server.returncode}; see {server_log}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=5):
                    break
            except (OSError, urllib.error.URLError):
                if time.time() > deadline:
                    raise RuntimeError("gunicorn did not answer /api/v1/health within 120 s")
                time.sleep(0.5)
        pids = worker_pids(server.pid)
        out["worker_rss_mb_idle"] = [rss_mb(p) for p in pids]

        # Warm every worker: concurrent rounds until each worker has answered a search (access log).
        started = time.perf_counter()
        warm_iter = iter(warmup * 20)
        first_ms = []
        for round_number in range(40):
            batch = [next(warm_iter)[1] for _ in range(workers * 2)]
            with ThreadPoolExecutor(workers * 2) as pool:
                results = list(pool.map(lambda q: http_get(port, q), batch))
            if round_number == 0:
                first_ms = [round(r[0], 1) for r in results]
            bad = [r for r in results if r[1] != 200]
            if bad:
                raise RuntimeError(f"warm-up search failed: HTTP {bad[0][1]}; see {server_log}")
            pids = worker_pids(server.pid)
            if set(pids) <= answered_pids(access_log) and round_number >= 2:
                break
        else:
            raise RuntimeError("not every gunicorn worker answered a search during warm-up")
        out["warmup_seconds"] = round(time.perf_counter() - started, 1)
        out["warmup_first_round_ms"] = first_ms
        out["worker_rss_mb"] = [rss_mb(p) for p in pids]
        log(f"workers warm after {out['warmup_seconds']}s, rss {out['worker_rss_mb']} MB")

        load_start = loadavg()
        latencies, took = [], []
        lock = threading.Lock()

        def run(q):
            ms, status, data = http_get(port, q, timeout=120)
            if status != 200:
                raise RuntimeError(f"search {q!r}: HTTP {status}")
            with lock:
                latencies.append(ms)
                took.append(float(data["took_ms"]))

        started = time.perf_counter()
        if concurrency <= 1:
            for _, q in queries:
                run(q)
        else:
            with ThreadPoolExecutor(concurrency) as pool:
                list(pool.map(run, [q for _, q in queries]))
        wall = time.perf_counter() - started
        out.update(pct(latencies))
        out["server_took_ms"] = pct(took)
        out["throughput_qps"] = round(len(queries) / wall, 2)
        out["loadavg_1m_during"] = round((load_start + loadavg()) / 2, 2)
        out["worker_rss_mb_end"] = [rss_mb(p) for p in worker_pids(server.pid)]
        log(f"http: p50 {out['p50_ms']} p95 {out['p95_ms']} p99 {out['p99_ms']}")
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(server.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            server.wait(timeout=10)
    return out


# ---------------------------------------------------------------------------------------------

def _exit_on_sigterm(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")


def main() -> None:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--queries", type=int, default=300, help="distinct timed queries")
    parser.add_argument("--warmup", type=int, default=20, help="distinct warm-up queries (not timed)")
    parser.add_argument("--http-workers", type=int, default=2)
    parser.add_argument("--http-concurrency", type=int, default=1, help="client threads for the timed run")
    parser.add_argument("--http-before-search-sync", action="store_true",
                        help="serve with SEARCH_SYNC=before_search instead of the production 'background'")
    parser.add_argument("--omp-threads", type=int, default=None,
                        help="what-if: set OMP_NUM_THREADS for this process and the server (default: inherit)")
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--no-inprocess", action="store_true")
    parser.add_argument("--rebuild", action="store_true", help="ignore the cached corpus and index")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--embed-sample", type=int, default=None,
                        help="when building: embed only this many articles for real and project the rebuild time"
                             " (the rest get copies of real vectors; reported)")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--relabel-old-vectors", action="store_true",
                        help="with --prepare: reuse vectors of the previous recipe (bench shortcut, reported)")
    parser.add_argument("--fill-missing-vectors", action="store_true",
                        help="with --prepare: copy real vectors to articles an interrupted build did not embed")
    args = parser.parse_args()

    if args.omp_threads:
        os.environ["OMP_NUM_THREADS"] = str(args.omp_threads)
    if args.build_only:
        build(args.articles, embed_sample=args.embed_sample)
        return
    if args.prepare:
        prepare(args.articles, fill_vectors=args.fill_missing_vectors, relabel=args.relabel_old_vectors)
        return
    if args.rebuild:
        shutil.rmtree(cache_dir(args.articles), ignore_errors=True)

    result: dict = {"articles": args.articles, "loadavg_1m": loadavg(), "cpus": os.cpu_count(),
                    "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}
    meta, cached = ensure_built(args.articles, args.embed_sample)
    result.update(index_seconds=meta["index_seconds"], corpus_seconds=meta["corpus_seconds"], cached=cached,
                  index_build_omp_num_threads=meta.get("omp_num_threads"),
                  current_code_reindex=meta.get("current_code_reindex"),
                  synthetic_vectors=meta.get("synthetic_vectors"), relabeled_vectors=meta.get("relabeled_vectors"),
                  index_note=meta.get("index_note"), embedding_sample=meta.get("embedding_sample"),
                  index_seconds_projected=meta.get("index_seconds_projected", False),
                  index_seconds_measured_open=meta.get("index_seconds_measured_open"),
                  index_phases_seconds=meta.get("index_phases_seconds"), embedders=meta["embedders"],
                  corpus={k: meta.get(k) for k in ("languages", "audiences", "avg_words", "built_at")})

    gen = QueryGenerator(SEED + 1)
    queries = gen.distinct(args.queries)
    warmup = gen.distinct(args.warmup, exclude={" ".join(q.lower().split()) for _, q in queries})
    mix: dict[str, int] = {}
    for kind, _ in queries:
        mix[kind] = mix.get(kind, 0) + 1
    result["queries"] = len(queries)
    result["query_mix"] = mix
    result["query_examples"] = [q for _, q in queries[:12]]

    if not args.no_inprocess:
        inproc = measure_inprocess(args.articles, queries, warmup)
        with open(os.path.join(cache_dir(args.articles), "last-inprocess.json"), "w") as f:
            json.dump({**result, "inprocess_partial": inproc}, f)  # kept if a later step dies
        result["rss_mb"] = inproc.pop("rss_mb")
        result["first_query_ms"] = inproc.pop("first_query_ms")
        result["inprocess"] = inproc.pop("inprocess")
        result["inprocess_detail"] = inproc
    if not args.no_http:
        result["http"] = measure_http(args.articles, queries, warmup, workers=args.http_workers,
                                      concurrency=args.http_concurrency,
                                      production_sync=not args.http_before_search_sync)
    result["loadavg_1m_end"] = loadavg()
    goal = result.get("inprocess", {}).get("p95_ms")
    result["goal_p95_50ms_inprocess_met"] = goal is not None and goal <= 50
    if "http" in result:
        result["goal_p95_50ms_http_met"] = result["http"]["p95_ms"] <= 50
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
