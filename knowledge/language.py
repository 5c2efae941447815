"""Which of the organisation's languages a text is in: Dutch or English, by counting common words.

Small on purpose: questions and answers are short everyday prose, where a handful of function words decides.
A text with neither kind of word (a postcode, a name) gets `default`.
"""
from __future__ import annotations

import re

STOP_WORDS = {
    "nl": frozenset("""de het een en van ik je jij u uw mijn wij we ze zij hij is zijn ben bent was waren heb hebt
        heeft hebben wordt worden kan kunt kunnen moet moeten wil wilt mag niet geen wel ook nog maar of als dan
        dat die dit deze wat wie waar wanneer hoe waarom om op in met voor naar bij uit aan over tot door onder
        er hier daar al te zo nu graag beste geachte mevrouw meneer heer groet groeten vriendelijke bedankt
        dank alvast""".split()),
    "en": frozenset("""the a an and of i you your my we they he she it is are am was were have has had be been
        can could will would should must may not no yes also still but or if then that this these those what
        who where when how why to on in with for from at by about into over under there here so now please
        dear regards thanks thank kind sincerely""".split()),
}
WORD = re.compile(r"[a-zà-ÿ]+")


def detect_language(text: str, default: str = "nl") -> str:
    """'nl' or 'en', whichever language's common words the text has more of; `default` on a tie."""
    counts = {language: 0 for language in STOP_WORDS}
    for word in WORD.findall((text or "").lower()):
        for language, words in STOP_WORDS.items():
            if word in words:
                counts[language] += 1
    if counts["nl"] == counts["en"]:
        return default
    return max(counts, key=counts.get)
