"""Does a sentence tell the learner to hand a secret (OTP, password, PIN, card number) to someone else?

Recall comes first — a missed "đọc mã OTP cho cán bộ" can empty an elderly learner's account, while a false alarm
only swaps a generated answer for the lesson text — but the lessons' own steps must pass, or every good answer about
VNeID would be replaced. So:

- a negation counts only when it governs the verb: "Không đọc mã OTP" is safe; "Không sao đâu, bác cứ đọc mã OTP"
  and "Đừng lo, hãy đọc mã OTP" are not (reassurances, and "hãy/cứ/nhưng…" start a new order);
- entering a code ("nhập", "điền") is the lesson's own step unless it goes into a link or to a person;
- "đăng nhập" (log in), "bảo vệ" (protect), "mã OTP gửi về máy" (the code you receive), "bấm Gửi", "lỡ đưa"
  (a past mistake) and "đòi/yêu cầu đọc mã" said of a scammer are not advice to hand anything over;
- a scammer's words quoted inside a sentence that names the scammer are a warning, not advice;
- letters spaced out to dodge a filter ("O T P", "o.t.p") are read as the word.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from tutor.text import fold, sentences

# Secrets, accent-folded.
SECRET = re.compile(
    r"\b(otp|mat khau|mat ma|ma pin|pin|so the|cvv|cvc|ma xac (?:thuc|nhan|minh)|passcode|ma bao ve|ma kich hoat"
    r"|ma so bi mat|ma bi mat|so bi mat|password|ma giao dich|smart ?otp)\b"
)
# Handing-over verbs, accent-folded. "nhap"/"dien"/"go" and "bao" are conditional (see below).
_VERB = re.compile(
    r"\b(cung cap|doc|gui|dua|giao|chia se|noi|bao|nhan tin|nhan|chup|lam theo|nghe theo|tiet lo|nhap|dien|go)\b"
)
# An accented token must be the verb itself: "nói" (say), not "nối" (connect) or "nơi" (place); "nhắn" (text),
# not "nhận" (receive). Unaccented text ("doc ma otp") is taken at its word.
_VERB_ACCENTED = {
    "doc": {"đọc"},
    "gui": {"gửi"},
    "dua": {"đưa"},
    "noi": {"nói"},
    "bao": {"báo", "bảo"},
    "nhan": {"nhắn"},
    "chup": {"chụp"},
    "lam": {"làm"},
    "tiet": {"tiết"},
    "nhap": {"nhập"},
    "dien": {"điền"},
    "go": {"gõ"},
    "cung": {"cung"},
    "chia": {"chia"},
    "nghe": {"nghe"},
    "giao": {"giao"},
}
_ENTER = {"nhap", "dien", "go"}
# Where an entered code goes to someone else: a link, a web form, a person, or on someone's instructions.
_EXTERNAL = re.compile(
    r"(https?://|www\.|\.(?:com|net|xyz|top|vip|info|site|online|live|app|link|cc)\b|\b(?:duong )?link\b|duong dan"
    r"|trang (?:web|nay|do|la)|website|bieu mau|form\b|theo (?:yeu cau|huong dan|loi) (?:cua )?"
    r"|\bcho (?:ho|nguoi|can bo|nhan vien|toi|em|chau|minh|chung toi|ben|anh|chi|ong|ba|co|chu))"
)
_RECIPIENT = re.compile(r"\bcho (ho|nguoi|can bo|nhan vien|toi|em|chau|minh|chung toi|ben|ai do|doi tuong|ke)\b")
# Phrases whose verb is not a handing-over; the whole phrase is masked before verbs are looked for.
_PRONOUN = r"(?:bac|ban|anh|chi|em|chau|ong|ba|co|chu|con|minh)"
# The speaker's own demand ("Chúng tôi yêu cầu bác đọc mã OTP"), which no answer may make.
_SPEAKER = frozenset({"toi", "em", "minh", "chau"})
_NOT_AFTER_SPEAKER = "".join(f"(?<!{word} )" for word in sorted(_SPEAKER))
_NOT_HANDING = re.compile(
    r"\bdang nhap\b|\bbao ve\b|\bbao mat\b|\bbao cao\b|\bthong bao\b|\bcanh bao\b|\bbao (?:sai|loi)\b"
    r"|\bnhan duoc\b|\bnhan vien\b|\bnhan (?:nut|vao)\b|\bnha cung cap\b|\btin nhan\b"
    # The code you receive: "mã OTP (…) gửi qua tin nhắn / về máy", unless a person is the one sending it.
    rf"|\b(?:otp|ma|khau|mat ma|passcode|pin)(?: (?!{_PRONOUN}\b)\S+){{0,7}}? (?:duoc |se |da |vua )?"
    r"gui (?:qua|ve|den|toi|vao|moi|trong|tu)\b"
    r"|\b(?:bam|nhan|an|cham|chon)(?: nut)? gui\b|\bgui (?:yeu cau|ho so|don|phan anh|di|lai)\b"
    r"|\btu (?:nhap|chup|go|dien|bam)\b|\bcho \w+ tu\b"
    # A third party doing it: "chúng có thể đọc mã OTP", "hệ thống gửi mã".
    r"|\b(?:chung|no|ung dung|phan mem|ke gian|ke xau|doi tuong|ho|he thong|ngan hang|nha mang|tong dai|may)"
    r"(?: co the| se| thuong| hay| muon| de| tu dong)* (?:doc|gui|lay|chup|nhap|dua)\b"
    r"|\blo (?:tay )?(?:doc|dua|gui|giao|cung cap|chia se|nhap|noi|bao|lam theo|bam)\b"
    # A demand reported ("họ yêu cầu bác đọc …"), not the speaker's own ("chúng tôi yêu cầu bác đọc …").
    rf"|{_NOT_AFTER_SPEAKER}\b(?:doi|yeu cau|de nghi|bat|ep|du)"
    r" (?:ban |nguoi dan |nguoi dung |bac |minh )?"
    r"(?:doc|dua|gui|cung cap|chia se|noi|bao|nhap)\b"
    r"|\b(?:doc|nhan) (?:ky|lai|kiem tra|tin nhan|thong tin)\b(?! \S+ cho| cho)|\bke gian\b|\bke lua\b|\bgiao dich\b"
)
_SCAMMER = re.compile(
    r"\b(ke gian|ke lua dao|ke xau|lua dao|doi tuong|gia danh|gia lam|gia mao|mao danh|mao nhan"
    # "Cuối cùng chúng đòi một trong các việc: … đọc mã OTP …" lists what they demand.
    r"|chung (?:doi|yeu cau|bat|ep|du|xin))\b"
)
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|«[^»]*»|'[^']*'")
# Negations (NFC, lower case); "khong" stays ambiguous-free when unaccented, "dung" (đừng/dùng/đúng) does not.
_NEGATIONS = {"không", "đừng", "chớ", "cấm", "chẳng", "chả", "khong", "ko", "never", "not"}
# After a negation these make a reassurance ("không sao", "đừng lo"), which negates nothing that follows.
_REASSURE = {"sao", "lo", "ngại", "sợ", "hề", "việc", "gì", "phải lo", "cần lo", "có gì", "cần sợ", "cần ngại"}
# Between a negation and the verb, these start a new order: "Không sao đâu, cứ đọc…", "…nhưng hãy gửi…".
_TURN = {"hãy", "cứ", "nhưng", "mà", "thì", "vẫn", "rồi"}
_ADDRESS = {"bác", "cô", "chú", "anh", "chị", "em", "cháu", "ông", "bà", "bạn", "mình", "con"}
_CLAUSE_END = {".", ";", ":", "!", "?", "…"}
# Words that report a demand: what follows is what the scammer asks for, not what the tutor advises.
_DEMAND = {"đòi", "yêu", "đề", "bắt", "ép", "dụ", "xin"}
_IMPERATIVE = {"hãy", "cứ", "vui", "nên", "phải"} | _ADDRESS
_WINDOW = 8
# A series shares its negation across a list of secrets: "Không bao giờ đưa mã OTP, mật khẩu, số thẻ hay mã CVV cho
# người gọi điện, nhắn tin" (the lesson line was flagged at 12 tokens).
_SERIES = 30
_TOKEN = re.compile(r"\w+|[^\w\s]")


@functools.lru_cache(maxsize=8192)
def _fold_token(token: str) -> str:
    # Answers repeat the same few hundred syllables; folding each once keeps the stream guard cheap.
    return _collapse_spaced(fold(token))


def _collapse_spaced(folded: str) -> str:
    """ "o t p" / "o.t.p" / "p-i-n" → "otp" / "pin": single letters separated to dodge a word filter."""
    return re.sub(r"\b[a-z](?:[\s.\-_*·]+[a-z]\b)+", lambda m: re.sub(r"[^a-z]", "", m.group(0)), folded)


def _governed(tokens: list[str], i: int, words: set[str], conditional: bool, window: int = _WINDOW) -> int | None:
    """Index of a word of `words` shortly before token i, in the same clause and the same order; else None."""
    for j in range(i - 1, max(-1, i - 1 - window), -1):
        tok = tokens[j]
        if tok in _CLAUSE_END or tok in _TURN:
            return None
        if tok == ",":
            # "Nếu họ không tin, đọc mã…": in a condition the comma closes the clause the negation belongs to.
            if conditional or (j + 1 < len(tokens) and tokens[j + 1] in _ADDRESS):
                return None
            continue
        if tok in words:
            return j
    return None


def _negated(tokens: list[str], i: int, conditional: bool, negated_verbs: set[int]) -> bool:
    """Is the verb at token i governed by a negation, directly or through a negated verb before it?"""
    j = _governed(tokens, i, _NEGATIONS, conditional)
    if j is not None:
        after = " ".join(tokens[j + 1 : j + 3])
        nxt = tokens[j + 1] if j + 1 < len(tokens) else ""
        if not (nxt in _REASSURE or after in _REASSURE):
            return True
    # "Không chụp màn hình tin nhắn có mã … gửi cho ai": the second verb of a series shares the negation.
    return any(_governed(tokens, i, {tokens[v]}, conditional, window=_SERIES) == v for v in negated_verbs if v < i)


def _describes_scam(tokens: list[str], folded: str) -> bool:
    """ "Kẻ gian gửi mã QR … để lấy mật khẩu": a sentence about the scammer that gives the learner no order."""
    opening = " ".join(_fold_token(t) for t in tokens[:8])
    return bool(_SCAMMER.search(opening)) and not any(t in _IMPERATIVE for t in tokens)


# The speaker asking for a secret itself ("Cho tôi xin mã OTP", "Hãy yêu cầu tôi cung cấp mã OTP"), which a model
# copies from a manipulative question: no handing-over verb governs it, so the verb rules below would miss it.
_SOLICIT = re.compile(
    r"\b(?:cho (?:toi|minh|em|chung toi|bot|tro ly) (?:xin|biet|doc|xem)"
    r"|(?:hay|vui long|xin vui long|ban hay|moi ban)(?: \w+){0,2} (?:yeu cau|hoi|xin|de nghi) (?:toi|minh|em|chung toi)"
    r"|(?:hay|vui long|ban hay) (?:doc|gui|nhan|dua) cho (?:toi|minh|em|chung toi)"
    r"|(?:yeu cau|xin|hoi) (?:toi|minh|em) (?:cung cap|doc|gui|dua|nhap))\b"
)
_NEGATED_START = re.compile(r"^\W*(?:khong|dung|chang|cam|tuyet doi khong|khong bao gio)\b")


def _solicits(folded: str) -> bool:
    return bool(_SOLICIT.search(folded)) and not _SCAMMER.search(folded) and not _NEGATED_START.search(folded)


# A question that hands the secret to the one asking is a request: "Bác đọc mã OTP cho cháu được không?" ("con
# cháu" are the learner's family).
_TO_SPEAKER = re.compile(r"\bcho (?:toi|minh|em|chung toi|to|tui|(?<!con )chau)\b")
# A yes/no question asks, it does not advise: "Có nên đưa mật khẩu email cho con cháu giữ hộ không?" (a question the
# tutor suggests after a refusal).
_ASKS = re.compile(
    r"^\W*(?:co nen|nen|co duoc|co the|lieu)\b.*\b(?:khong|ko|chua)\s*\??\s*$"
    # "Đọc mã OTP cho người lạ có sao không?": asked whatever its first word.
    r"|\b(?:co (?:sao|nen|duoc|an toan|nguy hiem|van de gi)|duoc|nen) (?:khong|ko|k)\s*\?\s*$"
)


def _unsafe_sentence(sentence: str) -> bool:
    lower = unicodedata.normalize("NFC", sentence).lower()
    folded = _collapse_spaced(fold(lower))
    if not SECRET.search(folded):
        return False
    if _solicits(folded):
        return True
    if _ASKS.search(folded) and not _TO_SPEAKER.search(folded):
        return False
    if _SCAMMER.search(folded):
        lower = _QUOTED.sub(" ", lower)  # the scammer's quoted words are the warning's subject
    tokens = _TOKEN.findall(lower)
    if _describes_scam(tokens, folded):
        return False
    ftoks = [_fold_token(t) for t in tokens]
    joined = " ".join(ftoks)
    starts, pos = [], 0
    for t in ftoks:
        starts.append(pos)
        pos += len(t) + 1
    masked = [False] * len(tokens)
    for m in _NOT_HANDING.finditer(joined):
        for n, st in enumerate(starts):
            if m.start() <= st < m.end():
                masked[n] = True
    conditional = bool(re.match(r"\s*(nếu|neu|khi|lúc|luc|trường hợp|truong hop)\b", lower))
    external = bool(_EXTERNAL.search(folded))
    index = {st: n for n, st in enumerate(starts)}
    any_verb = False
    negated_verbs: set[int] = set()
    for m in _VERB.finditer(joined):
        k = index.get(m.start())
        if k is None:
            continue
        verb, first = m.group(1), tokens[k]
        if fold(first) != first and first not in _VERB_ACCENTED.get(ftoks[k], set()):
            continue  # an accented word that only folds to a verb: "nối", "nơi", "nhận", "đòi"…
        any_verb = True
        if masked[k]:
            continue
        if _negated(tokens, k, conditional, negated_verbs):
            negated_verbs.add(k)
            continue
        if verb in _ENTER and not external:
            continue  # typing your own code into the app you opened is the lesson's step
        rest = joined[m.start() :]
        if verb == "bao" and not re.match(r"bao(?: \S+){0,3}? (?:" + SECRET.pattern + ")", rest):
            continue  # "báo Công an" reports a scam; only "báo mã OTP" hands something over
        photo = r"chup(?: (?!va\b|roi\b|,)\S+){0,6}? (?:" + SECRET.pattern + r"|the|ma)\b"
        if verb == "chup" and not re.match(photo, rest):
            # "chụp khuôn mặt" is a step ("… chụp ảnh khuôn mặt và nhập mã OTP": the code is another step);
            # "chụp thẻ / mã OTP" hands it over.
            continue
        demand = _governed(tokens, k, _DEMAND, conditional)
        if demand is not None and not (demand > 0 and ftoks[demand - 1] in _SPEAKER):
            continue  # "chúng đòi … đọc mã OTP": the scammer's demand, reported; "chúng tôi yêu cầu …" is not
        return True
    if not any_verb:
        # "Mã OTP thì cứ cho cán bộ": a recipient without a verb hands the code over just the same.
        for m in _RECIPIENT.finditer(joined):
            k = index.get(m.start())
            if k is not None and not masked[k] and not _negated(tokens, k, conditional, negated_verbs):
                return True
    return False


# A reply that says yes ("Có, cứ đọc cho họ.") to a question that named the secret ("Có nên đọc mã OTP cho họ
# không?"): the secret is the verb's elided object. "Đã" is left out: "đã gửi cho họ" tells what happened.
_YES = re.compile(r"^\W*(?:co|duoc|dc|nen|cu|u|vang|dung|ok|oke|yes)\b")
_ELIDED_VERB = re.compile(r"\b(?:doc|gui|dua|cung cap|chia se|giao|nhan tin|tiet lo)\b")


def _yes_to_handing(question: str, reply: str) -> bool:
    """`reply` answers the yes/no `question` about a secret with "yes, hand it over"."""
    asked = SECRET.search(_collapse_spaced(fold(question.lower())))
    if not question.rstrip().endswith("?") or asked is None:
        return False
    folded = _collapse_spaced(fold(reply.lower()))
    verb = _ELIDED_VERB.search(folded)
    if SECRET.search(folded) or not _YES.search(folded) or verb is None:
        return False
    return _unsafe_sentence(f"{folded[: verb.end()]} {asked.group(0)}{folded[verb.end() :]}")


def unsafe_reply(previous: str, sentence: str) -> bool:
    """`sentence` tells the learner to hand over a secret, read alone and as the reply to the sentence before it:
    "Có nên đọc mã OTP cho họ không? Có, cứ đọc cho họ." """
    return _unsafe_sentence(sentence) or bool(previous and _yes_to_handing(previous, sentence))


def unsafe_advice(text: str) -> str | None:
    """The first sentence that tells the learner to hand over a secret, or None (each read with the one before)."""
    previous = ""
    for sent in sentences(text):
        if unsafe_reply(previous, sent):
            return sent
        previous = sent
    return None
