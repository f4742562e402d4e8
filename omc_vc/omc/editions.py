"""An achievement in several languages: one catalogue definition, one OB 3.0 Achievement per language.

A catalogue definition is written in its own language (``inLanguage``, a BCP 47 tag) and may carry
``editions``: for each other language, the achievement's words in that language and the ``id`` of that
edition (OB 3.0 §B.1.1: each language edition is an Achievement of its own, with its own id)::

    weld-101:
      id: https://college.example.ca/achievements/weld-101
      inLanguage: en
      name: Structural Welding Fundamentals
      ...
      editions:
        fr-CA:
          id: https://college.example.ca/achievements/weld-101-fr
          name: Fondements du soudage de structures
          description: ...
          criteria: ...
          summativeAssessment: {description: ...}
          creditTransfer: [{program: ...}]             # item by item, in the definition's order
          stacksInto: [{name: ..., program: ...}]

An edition gives words only (:data:`EDITION_KEYS`): the hours, codes, credits, delivery mode and the
stacking targets' ids and numbers are the definition's, so two editions never disagree on a fact. An
OMC is issued in one edition (:func:`select_edition`): its achievement carries that edition's words, OB 3.0
``inLanguage``, and an OB 3.0 ``related`` list naming every other edition (type ``Related``: ``id``,
``inLanguage``, its ``version`` when the definition has one, and its ``name``), so a reader of the French
OMC can find the English achievement and the reverse. Endorsements are bound to one edition's id and
words (docs/vocabulary.md, "Endorsements are bound"): an edition carries only its own.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from omc_vc.model import as_list

__all__ = ["EDITION_KEYS", "edition_problems", "edition_tags", "is_language_tag", "select_edition"]

#: What an edition may give, and within each object or list item, which members.
EDITION_KEYS: Final[Mapping[str, frozenset[str] | None]] = {
    "id": None,
    "name": None,
    "description": None,
    "image": None,
    "version": None,
    "creditUnit": None,
    "criteria": frozenset({"narrative", "id"}),
    "summativeAssessment": frozenset({"description", "evidenceUrl"}),
    "alignment": frozenset({"targetName", "targetDescription", "targetUrl", "targetFramework"}),
    "creditTransfer": frozenset({"receivingInstitution", "program", "agreementReference"}),
    "stacksInto": frozenset({"name", "awardingInstitution", "program", "creditUnit", "creditDeterminedBy"}),
    "endorsement": None,
    "endorsementFiles": None,
}
_LISTS: Final = frozenset({"alignment", "creditTransfer", "stacksInto"})
_TAG_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


def is_language_tag(tag: object) -> bool:
    """Whether ``tag`` reads as a BCP 47 language tag (``en``, ``fr-CA``): letters, digits and hyphens,
    a primary language subtag of two or three letters."""
    return (isinstance(tag, str) and 2 <= len(tag) <= 35 and set(tag) <= _TAG_CHARS
            and tag.split("-")[0].isalpha() and 2 <= len(tag.split("-")[0]) <= 3)


def _primary(tag: str) -> str:
    return tag.split("-")[0].lower()


def edition_problems(definition: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Each (field, why) that makes ``definition``'s editions unusable; empty when they are fine."""
    editions = definition.get("editions")
    if editions is None:
        return []
    if not isinstance(editions, Mapping) or not editions:
        return [("editions", "must be a mapping of language tag -> the achievement's words in that language")]
    base_tag = definition.get("inLanguage")
    if not is_language_tag(base_tag):
        return [("inLanguage", "a definition with editions needs its own language (a BCP 47 tag such as en)")]
    found: list[tuple[str, str]] = []
    ids = {definition.get("id")}
    languages = {_primary(str(base_tag))}
    for tag, words in editions.items():
        where = f"editions.{tag}"
        if not is_language_tag(tag):
            found.append((where, "is not a BCP 47 language tag (such as fr-CA)"))
            continue
        if _primary(str(tag)) in languages:
            found.append((where, "repeats a language the definition already has"))
        languages.add(_primary(str(tag)))
        if not isinstance(words, Mapping):
            found.append((where, "must be a mapping"))
            continue
        edition_id = words.get("id")
        if not isinstance(edition_id, str) or not urlsplit(edition_id).scheme or not urlsplit(edition_id).netloc:
            found.append((f"{where}.id", "each edition needs its own absolute URL id"))
        elif edition_id in ids:
            found.append((f"{where}.id", "must differ from every other edition's id"))
        ids.add(edition_id)
        for key, value in words.items():
            if key not in EDITION_KEYS:
                found.append((f"{where}.{key}", "an edition gives words only (a name, a description, ...), "
                              "not the achievement's facts"))
                continue
            members = EDITION_KEYS[key]
            if members is None:
                continue
            items = as_list(value) if key in _LISTS else [value]
            if key in _LISTS and len(items) != len(as_list(definition.get(key))):
                found.append((f"{where}.{key}", f"must have one item per item of {key} "
                              f"({len(as_list(definition.get(key)))}), in the same order"))
            for index, item in enumerate(items):
                if key == "criteria" and isinstance(item, str):
                    continue
                if not isinstance(item, Mapping):
                    found.append((f"{where}.{key}", "must be a mapping (or a list of mappings)"))
                    continue
                extra = sorted(set(item) - members)
                if extra:
                    member = f"{key}[{index}].{extra[0]}" if key in _LISTS else f"{key}.{extra[0]}"
                    found.append((f"{where}.{member}", "an edition gives words only"))
    return found


def edition_tags(definition: Mapping[str, Any]) -> list[str]:
    """The language tags ``definition`` is issued in: its own first, then its editions'."""
    own = definition.get("inLanguage")
    tags = [own] if isinstance(own, str) else []
    editions = definition.get("editions")
    if isinstance(editions, Mapping):
        tags += [str(tag) for tag in editions]
    return tags


def _find(definition: Mapping[str, Any], language: str) -> str | None:
    """The tag of the edition for ``language``: the same tag, else the same primary language (RFC 4647
    lookup: ``fr`` finds ``fr-CA``, ``fr-CA`` finds ``fr``)."""
    tags = edition_tags(definition)
    exact = next((t for t in tags if t.lower() == language.lower()), None)
    return exact or next((t for t in tags if _primary(t) == _primary(language)), None)


def _merged(definition: Mapping[str, Any], words: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: copy.deepcopy(v) for k, v in definition.items() if k not in ("editions", "endorsement")}
    for key, value in words.items():
        if key in _LISTS:
            base = as_list(out.get(key))
            out[key] = [{**item, **copy.deepcopy(part)} if isinstance(item, Mapping) else item
                        for item, part in zip(base, as_list(value), strict=True)]
        elif key in ("criteria", "summativeAssessment") and isinstance(value, Mapping):
            base_value = out.get(key)
            base_map = {"narrative": base_value} if isinstance(base_value, str) else dict(base_value or {})
            out[key] = {**base_map, **copy.deepcopy(dict(value))}
        else:
            out[key] = copy.deepcopy(value)
    return out


def _related(tag: str, words: Mapping[str, Any]) -> dict[str, Any]:
    # OB 3.0 Related: id and type required; inLanguage and version of the related achievement. The other
    # edition's name is schema.org name (VCDM 2.0 context), so a reader can show it without fetching it.
    related: dict[str, Any] = {"id": words["id"], "type": ["Related"], "inLanguage": tag}
    if isinstance(words.get("version"), str):
        related["version"] = words["version"]
    if isinstance(words.get("name"), str):
        related["name"] = words["name"]
    return related


def select_edition(definition: Mapping[str, Any], language: str | None) -> dict[str, Any]:
    """The catalogue definition as issued in ``language`` (None: its own language): that edition's words
    and ``inLanguage``, and OB 3.0 ``related`` entries naming the other editions. A definition without
    editions is returned as it is when ``language`` is None or its own; ValueError when it has no edition in
    ``language``."""
    editions = definition.get("editions")
    if not isinstance(editions, Mapping) or not editions:
        if language is None or (isinstance(definition.get("inLanguage"), str)
                                and _primary(definition["inLanguage"]) == _primary(language)):
            return {k: copy.deepcopy(v) for k, v in definition.items() if k != "editions"}
        raise ValueError(f"the achievement {definition.get('id')} is defined in "
                         f"{definition.get('inLanguage', 'one language')} only, not in {language}")
    own_tag = str(definition["inLanguage"])
    tag = own_tag if language is None else _find(definition, language)
    if tag is None:
        raise ValueError(f"the achievement {definition.get('id')} has no edition in {language} "
                         f"(it has {', '.join(edition_tags(definition))})")
    own_words = {k: definition.get(k) for k in ("id", "name", "version") if k in definition}
    all_words: dict[str, Mapping[str, Any]] = {own_tag: own_words, **{str(t): w for t, w in editions.items()}}
    if tag == own_tag:
        chosen = {k: copy.deepcopy(v) for k, v in definition.items() if k != "editions"}
    else:
        chosen = _merged(definition, all_words[tag])
        chosen.pop("endorsementFiles", None)
    chosen["inLanguage"] = tag
    chosen["related"] = [*as_list(chosen.get("related")),
                         *(_related(other, words) for other, words in all_words.items() if other != tag)]
    return chosen
