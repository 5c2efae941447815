"""Build and check bench/data/retrieval_demo_nl.jsonl, the retrieval set for the Dutch demo.

The queries were written by hand from the demo's public articles, the way callers and website
visitors type them, without running the search engine on them: the set has to stay blind to the
system it measures. Expected answers are referenced by article index here (the order of
app/demo/data/articles.jsonl) and written out as exact titles, so a reordering of the demo file
is caught by the check instead of silently changing the answers.

Run `python bench/make_retrieval_demo_nl.py` to rebuild the file (fixed seed, so the split is
stable) and `python bench/make_retrieval_demo_nl.py --check` to validate the committed file.
"""
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "app" / "demo" / "data" / "articles.jsonl"
OUT = ROOT / "bench" / "data" / "retrieval_demo_nl.jsonl"
SEED = 20261201

# (query, [article indexes], language of the query)
NL = [
    ("extra groene container aanvragen", [0]),
    ("grotere kliko voor restafval", [0]),
    ("container omruilen 240 liter", [0]),
    ("hondenbelasting afmelden hond overleden", [1]),
    ("mijn hond is dood moet ik nog belasting betalen", [1]),
    ("hond herplaatst belasting stoppen", [1]),
    ("braderie organiseren vergunning", [2, 35]),
    ("hoe lang van tevoren evenementen vergunning aanvragen", [2, 35]),
    ("buurtfeest melden", [35, 2]),
    ("springkussen straatfeest toestemming", [35, 2]),
    ("wasmachine kapot geen geld", [3, 42]),
    ("koelkast vergoeding laag inkomen", [3, 42]),
    ("verhuizing doorgeven", [4, 89]),
    ("adreswijziging binnen de gemeente", [4, 89]),
    ("ik ga verhuizen naar oosterlaan wat moet ik regelen", [4, 89]),
    ("wmo taxipas", [5]),
    ("taxi voor ouderen via de wmo", [5, 74]),
    ("deur tot deur vervoer rolstoelbus", [5]),
    ("gft bak oosterlaan ophaaldag", [10]),
    ("groenbak ophaaldag dinsdag of donderdag", [10]),
    ("mogen etensresten bij het groenafval", [10]),
    ("grofvuil ophalen", [11]),
    ("oude bank laten ophalen", [11]),
    ("matras weg laten halen kosten", [11]),
    ("milieustraat op maandag open", [12]),
    ("puin wegbrengen kosten", [12]),
    ("stort industrieweg open", [12]),
    ("milieupas verloren", [13]),
    ("pasje ondergrondse container kapot", [13]),
    ("gft bak niet geleegd", [14]),
    ("mijn bak is vergeten", [14]),
    ("rode sticker op container", [14]),
    ("vuilnisbak niet geleegd vandaag", [14]),
    ("kliko gestolen", [14, 0]),
    ("parkeervergunning bezoek", [17]),
    ("bezoekersparkeren kenteken invoeren", [17]),
    ("parkeervergunning aanvragen", [18, 6]),
    ("bewonersvergunning centrum kosten", [18, 6]),
    ("kenteken wijzigen parkeervergunning", [18, 6]),
    ("boete parkeren bezwaar", [19]),
    ("parkeerbon onterecht", [19]),
    ("naheffing maar ik had betaald kenteken fout ingetypt", [19]),
    ("parkeertarief per uur centrum", [20]),
    ("waar kan ik gratis parkeren", [20]),
    ("parkeerschijf blauwe zone", [20]),
    ("gehandicaptenparkeerkaart", [21]),
    ("invalide parkeerplaats voor de deur", [21]),
    ("gehandicapten parkeer kaart verlopen", [21]),
    ("woz taxatie vergelijkingswoningen", [24]),
    ("taxatieverslag woz bekijken", [24]),
    ("woz klopt niet oppervlakte verkeerd", [24, 25, 7]),
    ("woz waarde te hoog bezwaar", [25, 7]),
    ("tot wanneer kan ik woz aanvechten", [25, 7]),
    ("ik vind de woz van mijn huis veel te hoog wat kan ik doen", [25, 7]),
    ("aanslag gespreid betalen", [26, 8]),
    ("automatische incasso aanslag gemeente", [26, 8]),
    ("aanmaning gemeentebelasting", [26, 8]),
    ("nieuwe puppy aanmelden belasting", [27]),
    ("hondenbelasting hoeveel", [27]),
    ("geleidehond vrijstelling", [27]),
    ("kwijtschelding gemeentebelasting", [28]),
    ("kan mijn afvalstoffenheffing niet betalen", [28, 26, 8]),
    ("kwijtscelding aanvragen", [28]),
    ("afvalstoffenheffing", [31, 9]),
    ("afval belasting omhoog", [31, 9]),
    ("waarom betaal ik meer voor afval dit jaar", [31, 9]),
    ("dakkapel achterkant vergunningvrij", [33]),
    ("uitbouw zonder vergunning", [33]),
    ("tuinhuisje bouwen regels", [33]),
    ("bouwvergunning kosten leges", [34]),
    ("doorlooptijd bouwaanvraag", [34]),
    ("kapvergunning nodig voor eik", [36]),
    ("boom omzagen achtertuin mag dat", [36]),
    ("steiger op de stoep", [37]),
    ("bouwcontainer op straat vergunning", [37]),
    ("verhuiswagen parkeren voor de deur", [37]),
    ("bijstand aanvragen", [40]),
    ("uitkering aanvragen gemeente", [40]),
    ("geen inkomen meer wat nu", [40]),
    ("bijstand bijverdienen doorgeven", [41]),
    ("met uitkering op vakantie", [41]),
    ("inlichtingenplicht bijstand", [41]),
    ("tandartskosten vergoeding minima", [42]),
    ("hulp bij onverwachte kosten", [42]),
    ("kortingspas minima sport kinderen", [43]),
    ("wadderveenpas aanvragen", [43]),
    ("schuldhulpverlening", [44]),
    ("hulp bij schulden deurwaarder", [44]),
    ("ik kom niet rond en de rekeningen stapelen zich op", [44]),
    ("betaaldatum uitkering december", [45]),
    ("uitkering niet ontvangen deze maand", [45]),
    ("vakantiegeld bijstand", [45]),
    ("wanneer komt de papierbak", [47]),
    ("ophaaldag blauwe bak", [47]),
    ("waar laat ik mijn karton", [47]),
    ("2e vergunning voor auto van mijn vrouw", [48, 18, 6]),
    ("vergunning tweede auto wachtlijst", [48, 18, 6]),
    ("hondenpoep boete", [49]),
    ("waar mag mijn hond los lopen", [49]),
    ("huurhuis zoeken inschrijven woningcorporatie", [50, 86]),
    ("wachttijd huurhuis", [50, 86]),
    ("woningzoekende inschrijven", [50, 86]),
    ("urgentie aanvragen woning", [51]),
    ("voorrang huurwoning na scheiding", [51]),
    ("zonnepanelen lening gemeente", [52]),
    ("spouwmuur laten isoleren bijdrage", [52]),
    ("energiebox aanvragen", [52]),
    ("airbnb regels", [53]),
    ("kamer verhuren via booking", [53]),
    ("toeristenbelasting vakantieverhuur", [53]),
    ("schimmel in huurhuis verhuurder doet niks", [54]),
    ("lekkage huurwoning melden", [54]),
    ("wanneer kan ik langskomen voor paspoort", [57, 87]),
    ("identiteitskaart verlopen nieuwe aanvragen", [57, 87]),
    ("wat meenemen voor nieuw paspoort", [57, 87]),
    ("kosten paspoort", [58]),
    ("prijs id kaart volwassene", [58]),
    ("prijs identiteitskaart kind", [58]),
    ("paspoort kwijt", [59, 88]),
    ("id kaart gestolen", [59, 88]),
    ("reisdocument verloren op vakantie", [59, 88]),
    ("kind geboren aangifte doen", [60, 90]),
    ("baby aangeven gemeente", [60, 90]),
    ("trouwen gemeente kosten", [61]),
    ("gratis trouwen", [61]),
    ("trouwambtenaar voor een dag", [61]),
    ("uittreksel brp", [62]),
    ("vog aanvragen", [62]),
    ("attestatie de vita", [62]),
    ("lantaarnpaal kapot", [65]),
    ("kuil in het wegdek", [65]),
    ("losse stoeptegel", [65]),
    ("straatlantaarn doet het niet", [65]),
    ("stationsweg afgesloten", [66]),
    ("omleiding stationsweg bus 4", [66]),
    ("boom over de weg gevallen", [67]),
    ("grote tak op de stoep na het onweer", [67]),
    ("boom van de gemeente op mijn auto schade", [67]),
    ("wordt er gestrooid", [68]),
    ("strooiroute gladheid", [68]),
    ("zoutbak leeg", [68]),
    ("laadpaal aanvragen", [69]),
    ("oplaadpaal elektrische auto in de straat", [69]),
    ("afval dumping melden", [72]),
    ("vuilniszakken naast container", [72]),
    ("wmo huishoudelijke hulp", [73]),
    ("mijn moeder kan niet meer zelf schoonmaken", [73]),
    ("keukentafelgesprek", [73]),
    ("scootmobiel aanvragen", [74]),
    ("traplift gemeente", [74]),
    ("rolstoel via de wmo", [74]),
    ("wmo kosten per maand", [75]),
    ("cak rekening wmo", [75]),
    ("jeugd en gezinsteam", [76]),
    ("zorgen over gedrag zoon adhd", [76]),
    ("opvoedondersteuning", [76]),
    ("maatschappelijk werk gemeente", [77, 91]),
    ("wijkteam inloopspreekuur", [77, 91]),
    ("mantelzorg ondersteuning", [78]),
    ("mantelzorgwaardering", [78]),
    ("respijtzorg aanvragen", [78, 73]),
    ("rijbewijs verlengen", [81]),
    ("rijbewijs verlopen 75 jaar", [81]),
    ("rijbewijs kwijt", [81]),
    ("naam partner gebruiken na trouwen", [82]),
    ("achternaam man aannemen", [82]),
    ("kind erkennen", [83]),
    ("erkenning ongeboren kind", [83]),
    ("overlast buren", [84]),
    ("buurtbemiddeling", [84]),
    ("burenruzie geluid", [84]),
    ("emigratie naar nederland inschrijven brp", [85, 89]),
    ("eerste inschrijving bsn", [85, 89]),
    ("net naar nederland verhuisd inschrijven gemeente", [85, 89]),
]

EN = [
    ("lost my passport", [88, 59]),
    ("register new address", [89, 4]),
    ("parking permit visitor", [17]),
    ("car permit city centre price", [6, 18]),
    ("woz value too high objection", [7, 25]),
    ("spread council tax payments", [8, 26]),
    ("garbage tax increase", [9, 31]),
    ("newborn registration municipality", [90, 60]),
    ("social housing waiting list", [86, 50]),
    ("passport appointment town hall", [87, 57]),
    ("neighbourhood team help", [91, 77]),
    ("moving here from abroad first registration", [85, 89]),
]

# Checked by grep against every title and body (public and internal): none answers these.
NONE_NL = [
    "recept voor appeltaart",
    "openingstijden zwembad",
    "wanneer is de gemeenteraadsvergadering",
    "rijexamen",
    "belastingaangifte inkomstenbelasting",
    "huurtoeslag aanvragen",
    "zorgtoeslag aanvragen",
    "kinderopvangtoeslag",
    "stempas kwijt verkiezingen",
    "fiets weggesleept fietsdepot",
    "gevonden voorwerpen",
    "standplaatsvergunning foodtruck",
    "bedrijf inschrijven kvk",
    "inburgering cursus",
    "leerplicht vrij buiten schoolvakantie",
    "leerlingenvervoer aanvragen",
    "nederlandse nationaliteit aanvragen naturalisatie",
    "aow aanvragen",
    "rookmelder verplicht",
    "wanneer is de kermis",
    "lintje aanvragen koninklijke onderscheiding",
    "wifi wachtwoord stadhuis",
    "demonstratie aanmelden",
    "weerbericht morgen",
    "voetbaluitslagen",
    "kapper in de buurt",
    "grafrechten begraafplaats verlengen",
]

NONE_EN = [
    "train times to amsterdam",
    "how do i apply for dutch citizenship",
    "healthcare allowance application",
    "dutch language course for expats",
    "best restaurants in wadderveen",
    "weather forecast tomorrow",
    "where to buy a second hand bike",
    "income tax return help",
    "30 percent ruling tax",
]


def load_articles():
    return [json.loads(line) for line in ARTICLES.read_text(encoding="utf-8").splitlines() if line.strip()]


def words(text):
    return set(re.findall(r"[a-z0-9à-ÿ]+", text.lower()))


def build():
    arts = load_articles()
    rows = [{"query": q, "expected": [arts[i]["title"] for i in ids], "lang": "nl"} for q, ids in NL]
    rows += [{"query": q, "expected": [arts[i]["title"] for i in ids], "lang": "en"} for q, ids in EN]
    rows += [{"query": q, "expected": [], "lang": "nl"} for q in NONE_NL]
    rows += [{"query": q, "expected": [], "lang": "en"} for q in NONE_EN]
    rows = balanced_shuffle(rows)
    with OUT.open("w", encoding="utf-8") as f:
        for n, row in enumerate(rows, start=1):
            out = {"query": row["query"], "expected": row["expected"],
                   "split": "validation" if n % 2 else "test"}
            f.write(json.dumps(out, ensure_ascii=False) + "\n")


def balanced_shuffle(rows):
    """Shuffle with the first seed from SEED on whose odd/even halves split every kind evenly.

    Kinds are (answerable or not) x (nl or en); "evenly" means the halves differ by at most one.
    The seed is chosen only on these counts, never on any search result.
    """
    seed = SEED
    while True:
        shuffled = list(rows)
        random.Random(seed).shuffle(shuffled)
        halves = Counter()
        for n, row in enumerate(shuffled, start=1):
            halves[(n % 2, bool(row["expected"]), row["lang"])] += 1
        kinds = {(a, l) for _, a, l in halves}
        if all(abs(halves[(1, a, l)] - halves[(0, a, l)]) <= 1 for a, l in kinds):
            print(f"seed {seed}", file=sys.stderr)
            return shuffled
        seed += 1


def lang_of(query):
    english = {q for q, _ in EN} | set(NONE_EN)
    return "en" if query in english else "nl"


def check():
    arts = load_articles()
    by_title = {a["title"]: a for a in arts}
    rows = [json.loads(line) for line in OUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    problems = []
    seen = Counter(r["query"].strip().lower() for r in rows)
    problems += [f"duplicate query: {q}" for q, n in seen.items() if n > 1]
    covered = set()
    overlap = 0
    counts = Counter()
    for r in rows:
        if set(r) != {"query", "expected", "split"} or r["split"] not in ("validation", "test"):
            problems.append(f"bad row: {r}")
        for t in r["expected"]:
            a = by_title.get(t)
            if a is None:
                problems.append(f"unknown title: {t!r} ({r['query']})")
            elif a["audience"] != "public":
                problems.append(f"not public: {t!r} ({r['query']})")
            else:
                covered.add(t)
        qw = words(r["query"])
        if r["expected"] and any(len(qw & words(t)) * 2 > len(qw) for t in r["expected"]):
            overlap += 1
        kind = "answerable" if r["expected"] else "unanswerable"
        counts[(r["split"], kind, lang_of(r["query"]))] += 1
    public = [a["title"] for a in arts if a["audience"] == "public"]
    missing = [t for t in public if t not in covered]
    problems += [f"public article not covered: {t}" for t in missing]
    answerable = sum(1 for r in rows if r["expected"])
    print(json.dumps({
        "rows": len(rows),
        "answerable": answerable,
        "unanswerable": len(rows) - answerable,
        "per_split": {f"{s}/{k}/{l}": n for (s, k, l), n in sorted(counts.items())},
        "queries_sharing_over_half_their_words_with_an_expected_title": overlap,
        "share_of_answerable": round(overlap / answerable, 3),
        "public_articles_covered": f"{len(public) - len(missing)}/{len(public)}",
    }, indent=2))
    for p in problems:
        print("PROBLEM:", p)
    return not problems


if __name__ == "__main__":
    if "--check" not in sys.argv:
        build()
    sys.exit(0 if check() else 1)
