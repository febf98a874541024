"""Whether a food name breaks a dietary preference, by whole-word match (decision D3)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from reference_impl.pipeline.profile import DietaryPreference

MEAT_WORDS = frozenset(
    {
        "meat", "chicken", "beef", "pork", "mutton", "lamb", "veal", "venison", "turkey",
        "duck", "goose", "bacon", "ham", "sausage", "salami", "pepperoni", "prosciutto",
        "chorizo", "sirloin", "brisket", "jerky", "meatball", "pastrami",
    }
)  # fmt: skip
FISH_WORDS = frozenset(
    {
        "fish", "salmon", "tuna", "cod", "tilapia", "sardine", "mackerel", "trout",
        "anchovy", "anchovies", "herring", "halibut", "haddock", "pomfret", "basa", "catfish",
        "snapper", "swordfish", "surimi", "rohu", "hilsa",
    }
)  # fmt: skip
SEAFOOD_WORDS = frozenset(
    {
        "seafood", "shrimp", "prawn", "crab", "lobster", "oyster", "mussel", "clam",
        "squid", "calamari", "octopus", "scallop", "crayfish",
    }
)  # fmt: skip
EGG_WORDS = frozenset({"egg", "omelette", "omelet", "frittata", "yolk", "shakshuka"})

_WORD = re.compile(r"[a-z]+")


FORBIDDEN_WORDS: Mapping[DietaryPreference, frozenset[str]] = MappingProxyType(
    {
        "Vegetarian": MEAT_WORDS | FISH_WORDS | SEAFOOD_WORDS | EGG_WORDS,
        "Eggitarian": MEAT_WORDS | FISH_WORDS | SEAFOOD_WORDS,
        "Non-veg": frozenset(),
    }
)


def diet_violation(food: str, preference: DietaryPreference) -> str | None:
    """The forbidden word found in `food` as a whole word (a plural `s` allowed), or None."""
    forbidden = FORBIDDEN_WORDS[preference]
    if not forbidden:
        return None
    words: list[str] = _WORD.findall(food.casefold())
    for word in words:
        if word in forbidden:
            return word
        if word.endswith("s") and word[:-1] in forbidden:
            return word[:-1]
    return None
