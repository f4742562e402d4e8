"""English and French: which language a person reads, and our words in it (DESIGN decision 16).

Every sentence omc-vc shows a person is an English message id looked up in a GNU gettext catalog
(``omc_vc/locale/fr_CA/LC_MESSAGES/omc_vc.mo``; English is the message ids themselves). The catalogs are
extracted from the code with Babel (``babel.cfg``, ``make i18n``), translated in the ``.po`` file, and
compiled ``.mo`` files are committed beside it, so a fresh clone works with ``pip install -e .`` and a
wheel ships them as package data; ``tests/unit/test_i18n_catalog.py`` fails when a message in the code is
missing from the catalog, untranslated, fuzzy or stale, or when a ``.mo`` is not the compiled ``.po``.

Choosing the language:

* a web request: :func:`negotiate` reads ``Accept-Language`` (RFC 9110 §12.5.4: weighted language ranges,
  matched by prefix as RFC 4647 §3.3.1 basic filtering does), and an explicit ``?lang=`` overrides it;
* the CLI: ``--lang``, else :func:`from_environment` (POSIX precedence ``LC_ALL``, ``LC_MESSAGES``,
  ``LANG``; GNU gettext's ``LANGUAGE`` list when the locale is not ``C``/``POSIX``);
* a credential: the language it was issued in (its achievement's ``inLanguage``).

A :class:`Message` is a ``str`` (its English text, so every existing reader keeps working) that remembers
its message id and parameters, so the same sentence can be shown in the reader's language later
(:meth:`Translator.render`). Parameters that are strings come from documents and the registry: they are
made inert when rendered (:func:`omc_vc._internal.inert.inert`), dates and numbers are formatted for the
locale with Babel (CLDR ``fr_CA``: ``12 juin 2026``, ``1 234,5``).

>>> fr = translator("fr")
>>> fr.gettext("Evidence of {learner}'s summative assessment")
'Preuve de l’évaluation sommative de {learner}'
>>> negotiate("en-GB;q=0.5, fr-CA, fr;q=0.9")
'fr'
>>> from_environment({"LANG": "fr_CA.UTF-8"})
'fr'
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any, Final

from omc_vc._internal.inert import inert

__all__ = [
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "LANGUAGES",
    "N_",
    "Message",
    "Plural",
    "Sentence",
    "Translator",
    "from_environment",
    "inert_text",
    "joined",
    "language_of_tag",
    "negotiate",
    "sentence_case",
    "translatable",
    "translator",
]

#: The gettext domain: ``omc_vc/locale/<locale>/LC_MESSAGES/omc_vc.mo``.
DOMAIN: Final = "omc_vc"
#: The languages omc-vc speaks, with their CLDR locale (formats) and their BCP 47 tag (``<html lang>``).
LANGUAGES: Final[Mapping[str, tuple[str, str]]] = {"en": ("en_CA", "en-CA"), "fr": ("fr_CA", "fr-CA")}
DEFAULT_LANGUAGE: Final = "en"
#: Bounds on an untrusted Accept-Language header (its length and the number of ranges read).
MAX_ACCEPT_LANGUAGE: Final = 1024
MAX_RANGES: Final = 32

#: An ISO 8601 day, or a timestamp that starts with one (as the records and the credentials store them).
_ISO_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9:.]+(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?")
_RANGE = re.compile(r"^\s*([A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([01](?:\.\d{0,3})?))?\s*$")


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (module constants translated where shown)."""
    return message


def language_of_tag(tag: object) -> str | None:
    """The supported language of a BCP 47 tag or POSIX locale name (``fr-CA``, ``fr_CA.UTF-8``, ``FR``),
    else None.

    >>> language_of_tag("fr_CA.UTF-8"), language_of_tag("en-GB"), language_of_tag("de"), language_of_tag("C")
    ('fr', 'en', None, None)
    """
    if not isinstance(tag, str):
        return None
    primary = re.split(r"[-_.@]", tag.strip(), maxsplit=1)[0].lower()
    return primary if primary in LANGUAGES else None


def negotiate(accept_language: str | None, *, default: str = DEFAULT_LANGUAGE) -> str:
    """The supported language a browser prefers most (``Accept-Language``), else ``default``.

    A range with ``q=0`` is refused; ``*`` stands for ``default``; equal weights keep the header's order.
    A malformed range is skipped, and only the first :data:`MAX_RANGES` ranges of a header bounded to
    :data:`MAX_ACCEPT_LANGUAGE` characters are read.

    >>> negotiate("fr;q=0, en;q=0.1", default="fr"), negotiate(None), negotiate("de, *;q=0.5", default="fr")
    ('en', 'en', 'fr')
    """
    if not accept_language:
        return default
    best: tuple[float, int, str] | None = None
    for position, item in enumerate(accept_language[:MAX_ACCEPT_LANGUAGE].split(",")[:MAX_RANGES]):
        found = _RANGE.match(item)
        if found is None:
            continue
        weight = float(found.group(2)) if found.group(2) is not None else 1.0
        language = default if found.group(1) == "*" else language_of_tag(found.group(1))
        if language is None or weight <= 0:
            continue
        if best is None or weight > best[0]:
            best = (weight, position, language)
    return best[2] if best is not None else default


def from_environment(environ: Mapping[str, str], *, default: str = DEFAULT_LANGUAGE) -> str:
    """The language of a process's locale (POSIX: ``LC_ALL``, then ``LC_MESSAGES``, then ``LANG``; GNU
    gettext's ``LANGUAGE`` priority list first unless that locale is ``C``/``POSIX``), else ``default``.

    >>> from_environment({"LC_ALL": "C", "LANGUAGE": "fr"}), from_environment({"LANGUAGE": "de:fr", "LANG": "en_CA"})
    ('en', 'fr')
    """
    locale_name = next((environ[k] for k in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(k)), "")
    if not locale_name or locale_name.split(".")[0] in ("C", "POSIX"):
        return default
    for entry in environ.get("LANGUAGE", "").split(":"):
        language = language_of_tag(entry)
        if language is not None:
            return language
    return language_of_tag(locale_name) or default


class Message(str):
    """A sentence of ours with its parameters: its ``str`` value is the English text (``msgid`` formatted
    with ``params``, dates in ISO 8601), and :meth:`Translator.render` shows it in another language.

    >>> reason = Message("{name} held the ministry's consent on {day}", name="Example College", day=date(2026, 6, 1))
    >>> str(reason)
    "Example College held the ministry's consent on 2026-06-01"
    """

    msgid: str
    params: Mapping[str, Any]
    #: the ``limit`` of :func:`inert_text` under which this message was found inert (set by it)
    _inert_within: int

    def __new__(cls, msgid: str, /, **params: Any) -> Message:
        text = msgid
        if params:
            # dates are written in ISO 8601; a message without one (the usual case) is formatted as it is
            shown: Mapping[str, Any] = params
            for value in params.values():
                if isinstance(value, date):
                    shown = {k: _english(v) for k, v in params.items()}
                    break
            text = msgid.format(**shown)
        made = str.__new__(cls, text)
        made.msgid = msgid
        made.params = params
        return made

    def __reduce__(self) -> tuple[Any, ...]:  # a str subclass with attributes: pickle it whole
        return (_rebuild, (type(self), self.msgid, dict(self.params)))


class Plural(Message):
    """A :class:`Message` whose words depend on the number ``params[counter]`` (gettext ``ngettext``).

    >>> str(Plural("{n} valid credential", "{n} valid credentials", "n", n=2))
    '2 valid credentials'
    """

    plural: str
    counter: str

    def __new__(cls, singular: str, plural: str, count: str, /, **params: Any) -> Plural:
        number = params[count]
        made = str.__new__(cls, (singular if number == 1 else plural).format(
            **{k: _english(v) for k, v in params.items()}))
        made.msgid = singular
        made.plural = plural
        made.counter = count
        made.params = params
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_plural, (type(self), self.msgid, self.plural, self.counter, dict(self.params)))


class Sentence(Message):
    """Another text shown as a sentence: its first letter capitalized and a final full stop, in whichever
    language it is rendered (a check's detail is a clause; a verdict's reason is a sentence).

    >>> str(Sentence(Message("the issuer {did} is not listed", did="did:key:z6Mk")))
    'The issuer did:key:z6Mk is not listed.'
    """

    inner: str

    def __new__(cls, inner: str) -> Sentence:
        made = str.__new__(cls, sentence_case(str(inner)))
        made.msgid = "{inner}"
        made.params = {"inner": inner}
        made.inner = inner
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.inner,))


def translatable(text: object) -> bool:
    """Whether ``text`` is one of our sentences, so that it can be shown in another language: a :class:`Message`,
    and for a :class:`Sentence`, one around a message (a sentence around a check's English detail is not).

    >>> translatable(Sentence(Message("Not checked."))), translatable(Sentence("not revoked")), translatable("ok")
    (True, False, False)
    """
    if isinstance(text, Sentence):
        return translatable(text.inner)
    return isinstance(text, Message)


#: How :func:`joined` puts texts together: the separator in each language is the catalog's.
_JOINS: Final = {"; ": N_("{first}; {then}"), ", ": N_("{first}, {then}")}


def joined(texts: Sequence[str], separator: str = "; ") -> str:
    """``texts`` as one text, ``separator`` (``"; "`` or ``", "``) between them; each of our sentences in it stays
    one, shown in the reader's language.

    >>> str(joined([Message("not revoked"), "a document's words"]))
    "not revoked; a document's words"
    """
    if not texts:
        return ""
    out = texts[0]
    for text in texts[1:]:
        out = Message(_JOINS[separator], first=out, then=text)
    return out


def sentence_case(text: str) -> str:
    """``text`` with its first letter capitalized and a final full stop (none added after ``.``, ``!``, ``?``)."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def inert_text(text: str, *, limit: int) -> str:
    """``text`` made inert for display (:func:`~omc_vc._internal.inert.inert`, at most ``limit`` characters),
    keeping a :class:`Message` a message: its string parameters (a document's text) are made inert instead,
    so it can still be shown in another language."""
    if isinstance(text, Message):
        shown = _inert_message(text, limit)
        if len(shown) <= limit:
            return shown
    return inert(text, limit=limit)


def _inert_message(text: Message, limit: int) -> Message:
    def clean(value: Any) -> Any:
        if isinstance(value, Message):
            return _inert_message(value, limit)
        return inert(value, limit=limit) if isinstance(value, str) else value

    # a message found inert within this limit before is not walked again (a message does not change: a check
    # that keeps its sentences, such as issuer-authorized, hands the same one to every verification)
    if getattr(text, "_inert_within", None) == limit:
        return text
    # a message whose every parameter is inert already (the usual case) is returned as it is, not rebuilt
    if isinstance(text, Sentence):
        inner = clean(text.inner)
        if inner is not text.inner:
            return Sentence(inner)
        text._inert_within = limit
        return text
    params = {k: clean(v) for k, v in text.params.items()}
    if all(params[k] is v for k, v in text.params.items()):
        text._inert_within = limit
        return text
    if isinstance(text, Plural):
        return Plural(text.msgid, text.plural, text.counter, **params)
    return Message(text.msgid, **params)


def _rebuild(kind: type[Message], msgid: str, params: dict[str, Any]) -> Message:
    return kind(msgid, **params)


def _rebuild_plural(kind: type[Plural], singular: str, plural: str, count: str, params: dict[str, Any]) -> Plural:
    return kind(singular, plural, count, **params)


def _english(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Translator:
    """Our words in one language: :meth:`gettext`, :meth:`ngettext`, :meth:`tr` (translate and format), :meth:`render`
    (a :class:`Message`)
    and the locale's formats for dates and numbers (CLDR, through Babel)."""

    language: str
    catalog: gettext.NullTranslations = field(repr=False, compare=False)

    @property
    def locale(self) -> str:
        """The CLDR locale of the formats (``fr_CA``)."""
        return LANGUAGES[self.language][0]

    @property
    def tag(self) -> str:
        """The BCP 47 tag of the text (``fr-CA``): the page's ``lang`` attribute."""
        return LANGUAGES[self.language][1]

    def gettext(self, message: str) -> str:
        return self.catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        return self.catalog.ngettext(singular, plural, number)

    def tr(self, message: str, /, **params: Any) -> str:
        """``message`` translated, then formatted with ``params`` (each shown as :meth:`value` shows it)."""
        return self.gettext(message).format(**{k: self.value(v) for k, v in params.items()})

    def render(self, text: str) -> str:
        """``text`` in this language: a :class:`Message` translated with its parameters; any other string
        is a document's text, shown as written (inert)."""
        if isinstance(text, Sentence):
            return sentence_case(self.render(text.inner))
        if isinstance(text, Plural):
            words = self.ngettext(text.msgid, text.plural, int(text.params[text.counter]))
            return words.format(**{k: self.value(v) for k, v in text.params.items()})
        if isinstance(text, Message):
            return self.gettext(text.msgid).format(**{k: self.value(v) for k, v in text.params.items()})
        return inert(text)

    def value(self, value: Any) -> str:
        """One parameter as this language shows it: a nested message rendered, a date or number in the
        locale's format, any other string (a document's text) made inert."""
        if isinstance(value, Message):
            return self.render(value)
        if isinstance(value, datetime | date):
            return self.date(value)
        if isinstance(value, bool):
            return self.gettext("yes") if value else self.gettext("no")
        if isinstance(value, int | float):
            return self.number(value)
        return inert(value)

    def date(self, value: date | datetime) -> str:
        """A calendar date: ISO 8601 in English (as omc-vc has always written it), CLDR's long form in
        French (``12 juin 2026``)."""
        day = value.date() if isinstance(value, datetime) else value
        if self.language == "en":
            return day.isoformat()
        from babel.dates import format_date

        return str(format_date(day, format="long", locale=self.locale))

    def day(self, text: str) -> str:
        """A day or a timestamp as stored (ISO 8601) as the reader writes dates: as stored in English (as omc-vc
        has always shown it), its day in the locale's long form otherwise (``15 juin 2026``); any other text (a
        document's own way of writing a date) as written.

        >>> fr = translator("fr")
        >>> fr.day("2026-06-15T10:00:00Z"), fr.day("June 2026"), translator().day("2026-06-15")
        ('15 juin 2026', 'June 2026', '2026-06-15')
        """
        if self.language == DEFAULT_LANGUAGE or _ISO_STAMP.fullmatch(text) is None:
            return text
        try:
            return self.date(date.fromisoformat(text[:10]))
        except ValueError:
            return text

    def utc_moment(self, moment: datetime) -> str:
        """A moment in UTC in the locale's words: ``20 juin 2026 à 14 h 02 (UTC)``; in English, ISO 8601's date and
        time as omc-vc has always shown it, ``2026-06-20 14:02:11 UTC``.

        >>> moment = datetime(2026, 6, 20, 14, 2, 11)
        >>> translator("fr").utc_moment(moment), translator().utc_moment(moment)
        ('20 juin 2026 à 14 h 02 (UTC)', '2026-06-20 14:02:11 UTC')
        """
        if self.language == DEFAULT_LANGUAGE:
            return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
        from babel.dates import format_time

        return self.tr("{date} at {time}", date=self.date(moment),
                       time=str(format_time(moment, "H 'h' mm '(UTC)'", locale=self.locale)))

    def number(self, value: float) -> str:
        """A number with the locale's separators (``1 234,5`` in fr-CA; integers unchanged in English)."""
        from babel.numbers import format_decimal

        return str(format_decimal(value, locale=self.locale))

    def amount(self, value: float) -> str:
        """A quantity as a fact shows it: as written in English (``7.5``, ``1200``: no grouping, as omc-vc has
        always shown hours and credits), the locale's format otherwise (``7,5``)."""
        if self.language == "en":
            return f"{value:g}" if isinstance(value, float) else str(value)
        return self.number(value)

    def quantity(self, value: float, unit: str | None) -> str:
        """``value`` counted in ``unit``: ``3 credits``, ``1 credit``, ``0.5 credits``; ``3 crédits``, ``0,5 crédit``
        (the plural form CLDR's cardinal rules give the number in the locale). A unit we do not know is shown as
        the document wrote it (``2 ECTS``).

        >>> translator("fr").quantity(0.5, "credit"), translator("en").quantity(1, "credits")
        ('0,5 crédit', '1 credit')
        """
        shown = self.amount(value)
        if not unit:
            return shown
        known = _UNIT_OF.get(unit.strip().lower())
        if known is None:
            return f"{shown} {unit}"
        return _UNITS[known](self, self._plural_count(value)).format(n=shown)

    def _plural_count(self, value: float) -> int:
        """The count gettext picks a plural form by (it takes integers): ``value`` when it is whole, else by CLDR's
        cardinal category of ``value`` in the locale (en: 0.5 credits; fr: 0,5 crédit)."""
        if isinstance(value, int):
            return value  # any size: a count past a float's range is still a count
        if value.is_integer():
            return int(value)
        from babel import Locale

        return 1 if Locale.parse(self.locale).plural_form(value) == "one" else 2


#: Counted words (gettext plurals), by the unit a document writes (singular or plural).
_UNITS: Final[dict[str, Callable[[Translator, int], str]]] = {
    "credit": lambda w, n: w.ngettext("{n} credit", "{n} credits", n),
    "hour": lambda w, n: w.ngettext("{n} hour", "{n} hours", n),
    "week": lambda w, n: w.ngettext("{n} week", "{n} weeks", n),
    "course credit": lambda w, n: w.ngettext("{n} course credit", "{n} course credits", n),
    "credential": lambda w, n: w.ngettext("{n} credential", "{n} credentials", n),
}
_UNIT_OF: Final = {**{unit: unit for unit in _UNITS}, **{unit + "s": unit for unit in _UNITS}}


@cache
def translator(language: str | None = None) -> Translator:
    """The :class:`Translator` of ``language`` (a supported language, tag or locale name; default English)."""
    chosen = language_of_tag(language) or DEFAULT_LANGUAGE
    catalog: gettext.NullTranslations = gettext.NullTranslations()
    if chosen != DEFAULT_LANGUAGE:
        compiled = resources.files("omc_vc") / "locale" / LANGUAGES[chosen][0] / "LC_MESSAGES" / f"{DOMAIN}.mo"
        with compiled.open("rb") as handle:
            catalog = gettext.GNUTranslations(handle)
    return Translator(chosen, catalog)
