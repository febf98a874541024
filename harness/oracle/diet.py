"""Which food names break which diet: whole-word match, case-insensitive, plural `s` (D3).

Words that also name vegetarian foods ("goat cheese", "soy mince", "veggie sausage",
"cauliflower steak") are left out: the oracle must not flag a plan the diet allows.
"""

from __future__ import annotations

import re

from harness.oracle.profile import DietaryPreference

_MEAT_WORDS = (
    "meat",
    "chicken",
    "beef",
    "pork",
    "lamb",
    "mutton",
    "veal",
    "venison",
    "turkey",
    "duck",
    "bacon",
    "ham",
    "salami",
    "pepperoni",
    "prosciutto",
    "chorizo",
    "keema",
    "jerky",
    "liver",
)
_FISH_WORDS = (
    "fish",
    "salmon",
    "tuna",
    "cod",
    "tilapia",
    "sardine",
    "mackerel",
    "trout",
    "anchovy",
    "anchovies",
    "haddock",
    "halibut",
    "pollock",
    "herring",
    "basa",
    "pomfret",
    "catfish",
    "sea bass",
    "snapper",
)
_SEAFOOD_WORDS = (
    "seafood",
    "shrimp",
    "prawn",
    "crab",
    "lobster",
    "squid",
    "calamari",
    "octopus",
    "oyster",
    "mussel",
    "clam",
    "scallop",
)
_EGG_WORDS = ("egg", "omelette", "omelet", "frittata")


def _whole_words(words: tuple[str, ...]) -> re.Pattern[str]:
    spelled = "|".join(r"\s+".join(map(re.escape, word.split())) for word in words)
    return re.compile(rf"\b(?:{spelled})s?\b", re.IGNORECASE)


_NON_VEGETARIAN = _whole_words(_MEAT_WORDS + _FISH_WORDS + _SEAFOOD_WORDS)
_EGG = _whole_words(_EGG_WORDS)


def forbidden_word(food: str, diet: DietaryPreference) -> str | None:
    """The word in `food` that `diet` forbids, or None when the food fits the diet."""
    if diet == "Non-veg":
        return None
    patterns = (_NON_VEGETARIAN,) if diet == "Eggitarian" else (_NON_VEGETARIAN, _EGG)
    for pattern in patterns:
        match = pattern.search(food)
        if match:
            return match.group(0)
    return None
