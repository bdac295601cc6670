#!/usr/bin/python3
"""Python 3 string semantics the text metrics must reproduce (tests/Courseware.Tests/Evaluation/PythonTextTests.cs).

    /usr/bin/python3 tests/Courseware.Tests/Evaluation/reference/python_strings.py

Writes python_lower.txt (every code point whose str.lower() differs from itself: "HEX HEX,HEX…", Python 3.11.2,
Unicode 14.0.0) and prints the whitespace set and the normalisations the tests paste.
"""
import os
import re
import string
import sys
import unicodedata

print(f"# Python {sys.version.split()[0]}, Unicode {unicodedata.unidata_version}")
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "python_lower.txt"), "w", encoding="ascii") as f:
    for c in range(0x110000):
        if 0xD800 <= c < 0xE000:
            continue
        lower = chr(c).lower()
        if lower != chr(c):
            f.write(f"{c:X} {','.join(f'{ord(x):X}' for x in lower)}\n")

print("whitespace =", [f"{c:X}" for c in range(0x110000) if chr(c).isspace()])


def codes(s):
    return " ".join(f"{ord(x):04X}" for x in s)


for s in ["ΟΔΟΣ", "ΟΔΟΣ ΚΑΙ ΣΟΦΙΑ", "ΣΑΣ.", "Σ", "ΑΣ'Β", "ΑΣ'", "ΑΣ1", "İSTANBUL", "İthe"]:
    print(f"lower {s!r} = {codes(s.lower())}")
print("split", "a\x1cb\x1dc\x1ed\x1fe\x85f".split())


# The SQuAD script's normalize_answer (evaluate-v2.0.py), verbatim in substance.
def normalize_answer(s):
    def remove_articles(text):
        return re.sub(re.compile(r"\b(a|an|the)\b", re.UNICODE), " ", text)

    def white_space_fix(text):
        return " ".join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return "".join(ch for ch in text if ch not in exclude)

    return white_space_fix(remove_articles(remove_punc(s.lower())))


for s in ["ΟΔΟΣ", "İthe", "Paris\x1cFrance\x1f", "The\x1dEiffel Tower"]:
    print(f"squad {s!r} = {normalize_answer(s)!r} ({codes(normalize_answer(s))})")


# rouge_score's tokenize without stemming (rouge/tokenize.py).
def rouge_tokens(text):
    text = re.sub(r"[^a-z0-9]+", " ", text.lower())
    return [t for t in re.split(r"\s+", text) if re.match(r"^[a-z0-9]+$", t)]


for s in ["İstanbul", "istanbul"]:
    print(f"rouge tokens {s!r} = {rouge_tokens(s)!r}")
