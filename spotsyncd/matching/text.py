"""Text handling for matching: normalisation, title anatomy and version markers.

Pure functions, no I/O. ``matching`` builds its scores on top of these.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

_BRACKETS = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]|\{([^{}]*)\}|【([^【】]*)】")
# " - ", " – ", " — ", " | ", " // " separate "Artist - Title" or "Title - Remastered 2011".
_DASH = re.compile(r"\s+[-–—|]\s+|\s+//\s+|\s*｜\s*")
_FEAT_WORD = r"(?:feat\.?|ft\.?|featuring|with)"
# An unbracketed "ft. Sia" runs to the next bracket, dash or the end.
_FEAT_INLINE = re.compile(
    r"\s(?:feat\.?|ft\.?|featuring)\s+(?:(?!\s[-–—|]\s)[^()\[\]{}【】])*", re.IGNORECASE
)
_FEAT_PART = re.compile(rf"^{_FEAT_WORD}\s+(.+)$", re.IGNORECASE)
_ARTIST_SPLIT = re.compile(
    r"\s*(?:,|&|\+|/|、|\band\b|(?<=\s)x(?=\s)|\bvs\.?\b|\bfeat\.?|\bft\.?|\bwith\b)\s*",
    re.IGNORECASE,
)
_CHANNEL_NOISE = re.compile(r"(?:\s*-\s*topic|vevo|\bofficial\b|\bchannel\b|\bofficiel\b)", re.I)

# Bracket/dash parts that say nothing about *which recording* it is: dropped before comparing.
_NOISE_WORDS = frozenset(
    str.split(
        "official officiel offizielles oficial video videoclip clip audio music musique "
        "lyric lyrics letra paroles testo visualizer visualiser hd hq 4k uhd 1080p 720p "
        "mv m v remaster remastered remasterizado digital digitally version explicit "
        "clean mono stereo color colour coded with only topic bonus track single album "
        "full 歌詞 公式"
    )
    # The same packaging in other languages (video titles are written in the artist's):
    # "Video Oficial", "Video Con Letra", "Clip Officiel", "Offizielles Musikvideo",
    # "Videoclipe Oficial", "Videoclip Ufficiale", "Oficjalny Teledysk", "Resmi Klip",
    # "Officiële Video", "Официальный клип", "Lyric Video", "Letra/Lyrics", "Sözleri"...
    + str.split(
        "officielle officiele officiell offisiell officielt offizielle offizieller "
        "ufficiale ufficiali oficiales oficiais oficjalny oficjalne oficialni oficialny "
        "resmi resmî virallinen musikvideo musiikkivideo videoclipe clipe klip klipi "
        "teledysk wideo vidéo videoklip videoklipp lirik lyrical songtext sozleri tekst "
        "legendado legenda subtitulado subtitulada traducida traducao traduzione con com "
        "avec mit and y e et und nowy nuevo novo "
        "официальныи официальное клип видео премьера клипа текст "
        "뮤직비디오 가사 ミュージックビデオ 歌詞付き 官方 官方mv 官方版 高清 动态歌词 動態歌詞"
    )
)
_NOISE_PHRASES = re.compile(
    r"^(?:(?:from|aus|de|tire de|theme from)\b.*|prod(?:uced)?(?: by)?\b.*|original mix)$"
)


def is_noise(part: str) -> bool:
    """Whether a bracket/dash part ("Official Video", "Remastered 2011") is only packaging."""
    text = normalise(part)
    if not text or _NOISE_PHRASES.match(text):
        return True
    return all(word in _NOISE_WORDS or re.fullmatch(r"\d{4}", word) for word in text.split())


# The same noise written without brackets at the end: "'Dynamite' Official MV", "STYLE M/V".
_TRAILING_NOISE = re.compile(
    r"\s+(?:official(?:\s+(?:music|lyric|lyrics|video|audio|mv|visuali[sz]er|hd|4k))*|m v|mv)$"
)


@dataclass(frozen=True)
class Marker:
    """A word that makes a recording a different version (live, remix...).

    ``unwanted`` multiplies the score when the candidate has it and the wanted track does not;
    ``missing`` multiplies it when the wanted track has it and the candidate does not.
    """

    name: str
    pattern: re.Pattern[str]
    unwanted: float
    missing: float


def _m(name: str, pattern: str, unwanted: float, missing: float) -> Marker:
    return Marker(name, re.compile(rf"\b(?:{pattern})\b"), unwanted, missing)


# Patterns run on normalised text (casefolded, no accents, punctuation turned into spaces).
MARKERS: tuple[Marker, ...] = (
    _m(
        "live",
        r"live|en vivo|ao vivo|en directo|dal vivo|na zywo|concert|concierto|unplugged",
        0.6,
        0.7,
    ),
    _m("remix", r"remix(?:es|ed)?|rmx|bootleg|rework|re edit|mix|dub", 0.55, 0.7),
    _m("cover", r"cover(?:ed)?|covers|version by|performed by", 0.45, 0.75),
    _m("karaoke", r"karaoke|in the style of|backing track|sing ?along|minus one", 0.35, 0.7),
    _m("instrumental", r"instrumental|off vocal|no vocals?|inst|type beat", 0.45, 0.7),
    _m(
        "acoustic",
        r"acoustic|akustik|akustisch|acusti[ck][oa]|acoustique|unplugged|stripped",
        0.6,
        0.75,
    ),
    _m("sped up", r"sped ?up|speed ?up|fast version|faster", 0.35, 0.7),
    _m("slowed", r"slowed|slow version|reverb", 0.4, 0.7),
    _m("8d", r"(?:8|9|16|32) ?d(?: audio)?", 0.35, 0.7),
    _m("nightcore", r"nightcore", 0.3, 0.7),
    _m("extended", r"extended|long version", 0.7, 0.85),
    _m("edit", r"radio edit|edit|radio version|short version", 0.85, 0.92),
    _m("demo", r"demo", 0.6, 0.7),
    _m("reprise", r"reprise", 0.55, 0.65),
    _m("tribute", r"tribute|made famous by|originally performed|as made famous", 0.4, 0.7),
    _m("piano", r"piano version|piano cover|piano tutorial|on piano|piano", 0.45, 0.75),
    _m("reaction", r"reaction|reacts?|reacting|first time hearing|review", 0.25, 0.7),
    _m("tutorial", r"tutorial|lesson|how to play|chords|guitar|drum|bass cover", 0.3, 0.7),
    _m("rendition", r"lo ?fi|orchestral|string quartet|symphonic|8 ?bit|lullaby", 0.45, 0.7),
    _m("a cappella", r"a ?cappella|acapella|vocals? only", 0.4, 0.7),
    _m("bass boosted", r"bass boost(?:ed)?", 0.4, 0.7),
    _m("loop", r"\d+ hours?|1 hour|loop", 0.35, 0.7),
    _m("re-recording", r"taylor ?s version|re ?recorded|rerecorded|re ?recording", 0.6, 0.6),
    _m(
        "language",
        r"(?:spanish|english|french|german|italian|portuguese|japanese|korean) version"
        r"|version (?:espanol|francaise|english)",
        0.5,
        0.6,
    ),
    _m("parody", r"parody|kidz bop|chipmunks?|reversed|mashup", 0.3, 0.7),
    _m("lyric video", r"lyrics?|lyric video|letra|paroles|testo", 0.97, 1.0),
)


def normalise(text: str) -> str:
    """Casefold, strip accents and punctuation, spell "&" as "and", collapse spaces."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = folded.replace("&", " and ").replace("'", "").replace("’", "").replace("`", "")
    folded = unicodedata.normalize("NFC", folded)  # recompose Hangul, kana
    words = " ".join(re.sub(r"[^\w\s]|_", " ", folded).split())
    # A title of punctuation only (Billie Eilish's "!!!!!!!") is still a title.
    return words or " ".join(folded.split())


@dataclass(frozen=True)
class TitleParts:
    """A title split into what it is called and what is said around it."""

    core: str  # normalised title without brackets, dash suffixes and feat. parts
    extras: tuple[str, ...]  # normalised bracket/dash parts that are not noise or feat.
    featured: tuple[str, ...]  # artists named in feat./ft./with parts
    sides: tuple[str, ...]  # normalised pieces around " - " (for "Artist - Title" uploads)
    noise_only: bool  # every part around the core was noise ("Official Video", "Remastered")


def split_title(raw: str) -> TitleParts:
    featured: list[str] = []
    extras: list[str] = []
    noise_only = True

    def keep_part(part: str) -> None:
        nonlocal noise_only
        part = part.strip()
        if not part:
            return
        feat = _FEAT_PART.match(part)
        if feat:
            featured.extend(split_artists(feat.group(1)))
            return
        if is_noise(part):
            return
        noise_only = False
        extras.append(_strip_trailing_noise(part))

    def take_bracket(match: re.Match[str]) -> str:
        keep_part(next(group for group in match.groups() if group is not None))
        return " "

    def take_inline_feat(match: re.Match[str]) -> str:
        keep_part(match.group(0).strip())
        return " "

    text = _BRACKETS.sub(take_bracket, raw)
    text = _FEAT_INLINE.sub(take_inline_feat, " " + text)
    pieces = [p for p in _DASH.split(text) if p.strip()]
    sides = tuple(side for side in (_strip_trailing_noise(p) for p in pieces) if side)
    core_raw = pieces[0] if pieces else text
    for suffix in pieces[1:]:
        keep_part(suffix)
    core = _strip_trailing_noise(core_raw)
    return TitleParts(core, tuple(extras), tuple(featured), sides, noise_only)


def _strip_trailing_noise(raw: str) -> str:
    text = normalise(raw)
    stripped = _TRAILING_NOISE.sub("", text)
    return stripped or text


def split_artists(raw: str) -> list[str]:
    """Individual artist names in "A, B & C feat. D" (normalised)."""
    return [name for name in (normalise(p) for p in _ARTIST_SPLIT.split(raw)) if name]


def clean_channel(channel: str) -> str:
    """'AdeleVEVO' -> 'adele', 'Queen - Topic' -> 'queen', 'Official Oasis' -> 'oasis'."""
    return normalise(_CHANNEL_NOISE.sub(" ", channel))


def ratio(left: str, right: str) -> float:
    if not left or not right:
        return 0.0
    if left == right:
        return 1.0
    return SequenceMatcher(None, left, right, autojunk=False).ratio()


def name_similarity(wanted: str, candidate: str) -> float:
    """How alike two normalised artist names are; "the" and spaces do not count."""
    if not wanted or not candidate:
        return 0.0
    strip_the = re.compile(r"^the ")
    left, right = strip_the.sub("", wanted), strip_the.sub("", candidate)
    if left.replace(" ", "") == right.replace(" ", ""):
        return 1.0
    if len(left) >= 3 and contains_phrase(right, left):
        return 0.85  # "lost identities" within "lost identities x robbie rosen"
    return max(ratio(left, right), ratio(left.replace(" ", ""), right.replace(" ", "")))


def contains_phrase(text: str, phrase: str) -> bool:
    """``phrase`` occurs in ``text`` on word boundaries (both normalised)."""
    if not phrase:
        return False
    if not phrase.isascii():  # CJK titles have no spaces to anchor on
        return phrase in text
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) is not None


def remove_phrase(text: str, phrase: str) -> str:
    if not phrase or not contains_phrase(text, phrase):
        return text
    if not phrase.isascii():
        return " ".join(text.replace(phrase, " ", 1).split())
    return " ".join(re.sub(rf"(?<!\w){re.escape(phrase)}(?!\w)", " ", text, count=1).split())


def find_markers(text: str) -> dict[str, Marker]:
    """Version markers present in normalised ``text``."""
    return {marker.name: marker for marker in MARKERS if marker.pattern.search(text)}
