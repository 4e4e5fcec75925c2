#!/usr/bin/python3
"""Writes test/fixtures/porter-table.tsv: English words and NLTK's PorterStemmer() stem of each.

Run with Debian's interpreter and package (apt-get install python3-nltk):
    /usr/bin/python3 scripts/gen-porter-table.py [--out PATH] [--corpus FILE ...]

The word list is built offline and deterministically from:
  * English prose shipped on every Debian system (/usr/share/common-licenses) and the doctests of
    python3-nltk itself (or the --corpus files given instead),
  * a built-in list of words that exercise each rule and NLTK extension of the stemmer,
  * suffixed forms (-s, -ed, -ing, -ly, -ness, -ation, ...) of a sample of the corpus words, which
    produce the inflections that the stemmer's later steps see.
The output's first column is the input word, the second NLTK's stem (NLTK_EXTENSIONS mode).
"""

import argparse
import glob
import hashlib
import os
import re
import sys

from nltk.stem.porter import PorterStemmer

# Words chosen for the rules they reach, including every NLTK extension and irregular form
# (and a few capitalised ones: NLTK looks irregular forms up before lowercasing).
TRICKY = """
caresses ponies ties caress cats dies flies lies spies cries skies sky dying lying tying news
innings inning outings outing cannings canning howe proceed exceed succeed proceeding exceeded
feed agreed plastered bled motoring sing conflated troubled sized hopping tanned falling hissing
fizzed failing filing died spied tried cried happy enjoy enjoyment spy fly try sly dry
relational conditional rational valenci hesitanci digitizer conformabli radicalli differentli
vileli analogousli vietnamization predication operator feudalism decisiveness hopefulness
callousness formaliti sensitiviti sensibiliti triplicate formative formalize electriciti
electrical hopeful goodness revival allowance inference airliner gyroscopic adjustable
defensible irritant replacement adjustment dependent adoption homologou communism activate
angulariti homologous effective bowdlerize probate rate cease controll roll generalizations
oscillators fully beautifully hopefully carefully archaeology geology theology biology
analogically logically radically critically basically musically ideally finally totally
really actually equally generally occasionally personally traditionally
nationally rationally sensibly possibly terribly humbly nobly ably
y ys by bye is as us yes eyes ayes ion lion union onion opinion adoption
a an at be do go ox
sses ies eed ing ings ed bling ate ated izing izer
agreement argument disagreement excitement settlement government
communication organizations nationalization rationalization
hopelessness uselessness carelessness awareness fairness readiness emptiness happiness
abilities activities possibilities responsibilities electricity university curiosity
sensitivity relativity objectivity activity festivity
conditioned conditioning fiddled fiddling sizzled tumbled rumbled
hoped hoping hopped filed filled fizzing buzzing missing messing
agree agreed agreeing disagree freed fleeing seeing being skiing
yelling yelled yell toy toys toyed played playing plays player stayed obeyed
syzygy trouble troubles private oaten orrery tree trees tr ee ivy oats
generously consciousness dangerously previously obviously seriously
Skies NEWS Dying Running Relational HOPEFULNESS Generalizations
""".split()

SUFFIXES = ["s", "es", "ed", "ing", "er", "ers", "ly", "ness", "ment", "ation", "ations",
            "al", "ally", "ity", "ities", "ize", "ized", "izing", "ization", "ful", "fully",
            "ive", "ively", "iveness", "able", "ably", "ability", "ous", "ously", "ism", "ist"]


def default_corpus():
    files = sorted(glob.glob("/usr/share/common-licenses/*"))
    import nltk
    files += sorted(glob.glob(os.path.join(os.path.dirname(nltk.__file__), "test", "*.doctest")))
    return [f for f in files if os.path.isfile(f)]


def corpus_words(files):
    words = set()
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            for w in re.findall(r"[A-Za-z]+", f.read()):
                w = w.lower()
                if 3 <= len(w) <= 20:
                    words.add(w)
    return words


def pick(words, k, salt):
    """A deterministic sample of k words (by hash, so it does not depend on set order)."""
    key = lambda w: hashlib.sha1((salt + w).encode()).hexdigest()
    return sorted(sorted(words, key=key)[:k])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "porter-table.tsv"))
    ap.add_argument("--corpus", nargs="*", help="text files to take words from (default: Debian's common licenses and NLTK's doctests)")
    ap.add_argument("--corpus-words", type=int, default=2600, help="how many corpus words to keep")
    ap.add_argument("--derived", type=int, default=900, help="how many suffixed forms to add")
    args = ap.parse_args()

    base = corpus_words(args.corpus or default_corpus())
    if len(base) < args.corpus_words:
        sys.exit(f"only {len(base)} distinct words in the corpus; need {args.corpus_words}")
    chosen = set(pick(base, args.corpus_words, "corpus:"))
    derived = set()
    for i, w in enumerate(pick(base, args.derived, "derive:")):
        derived.add(w + SUFFIXES[i % len(SUFFIXES)])
    words = sorted(chosen | derived | set(TRICKY))

    stemmer = PorterStemmer()  # NLTK_EXTENSIONS, as rouge_score uses it
    assert stemmer.mode == PorterStemmer.NLTK_EXTENSIONS
    import nltk
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(f"# word\tstem  (nltk {nltk.__version__} PorterStemmer, NLTK_EXTENSIONS; scripts/gen-porter-table.py)\n")
        for w in words:
            f.write(f"{w}\t{stemmer.stem(w)}\n")
    print(f"wrote {len(words)} words to {os.path.normpath(args.out)}")


if __name__ == "__main__":
    main()
