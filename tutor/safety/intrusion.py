"""Someone else's phone, account or whereabouts, entered or watched behind their back: an attempt on the tutor.

tutor.safety.manipulation counts it as a jailbreak. It reads like an ordinary how-to question, so what decides is
whose device it is and whether they know: their consent, or their presence, makes it a lesson.
"""

from __future__ import annotations

import re

# Getting into, reading, tracking or taking over someone else's phone, account, messages or location: a spouse, an ex,
# a neighbour, a classmate, a grown-up relative. Asked as a question ("có app nào định vị ck mà ko hiện thông báo?"),
# it is still an attempt; a family that agreed to share locations, or helping a relative recover their own account,
# is not.
_OTHER = (
    # "ck tiền", "ck 500k": chuyển khoản, not chồng.
    r"(?:vo|chong|ck(?! (?:tien|\d|qua|cho|vao|nham|tk|lai)\b)|vk|ny"
    r"|nguoi yeu(?: cu)?|ban gai|ban trai|bo|ba|me|con dau|con re|em gai|em trai|anh trai|chi gai"
    r"|hang xom|nha ben|ong cu|ba cu|dong nghiep|sep|dua ban|thang ban|con ban|ban be|ban (?:cung lop|than|toi|minh|mk)"
    r"|dua cung lop"
    r"|nguoi khac|ng khac|nguoi ta|ng ta"
    r"|ong ay|ba ay|co ay|anh ay|chi ay|ong ta|co ta|ong nha|ex|chau noi|thang chau|other people|someone else"
    # Round 9: "tin nhắn của crush", "WhatsApp của colleague".
    r"|anh ta|chi ta|ba ta|crush|nyc|colleague|coworker|wife|husband|boss|girlfriend|boyfriend|ong xa|ba xa"
    # "vào tài khoản MoMo của nó": "nó" only after "của", else it is any "it".
    r"|(?<=cua )no)"
)
_INTRUDE = (
    r"(?:hack|doc (?:trom|len|tin nhan|tn)|xem (?:trom|len|tin nhan|tn)|nghe (?:len|trom|duoc cuoc goi)"
    # "chuyển (tiền) vào tài khoản người khác" is a transfer, not a way in.
    r"|dang nhap|(?<!chuyen )(?<!nap )(?<!gui )(?<!tien )vao (?:duoc )?(?:tai khoan|acc|account|zalo|facebook|fb"
    r"|messenger|gmail|email|instagram|app|may)"
    r"|dinh vi|theo doi|ghi am cuoc goi|mo khoa|pha (?:mat khau|khoa|mk)|bypass|vuot qua|khoi phuc tin nhan"
    r"|chiem (?:tai khoan|quyen)|lay (?:duoc )?(?:mat khau|mk|pass|ma otp|otp)|cai (?:phan mem|ung dung|app|cai gi)"
    r"|lay lai mat khau|track|spy|coi (?:duoc |dc )?(?:trom|len|tin nhan|tn)|xem (?:duoc|dc) (?:tin nhan|tn)"
    r"|mo (?:may|dien thoai|dt)|read (?:tin nhan|tn|messages?|chat)|xem story an)"
)
# Only where secrecy is said outright: a location shared, or a workmate, classmate or grown child, are everyday words
# in genuine questions ("bật chia sẻ vị trí trên máy của mẹ thế nào?").
_LOCATION = r"(?:chia se vi tri|bat vi tri|xem vi tri|theo doi vi tri|vi tri)"
_OTHER_WIDE = r"(?:nhan vien|cung lop|con trai|con gai|dua con|thang con|con be)"
_UNSEEN = re.compile(
    r"\b(?:(?:ma|de|cho) )?(?:khong|ko|k|khoi|chang|dung) (?:de |cho )?(?:\w+ ){0,2}(?:biet|bt|hay|phat hien|bao|hien"
    r" thong bao|nghi)|\b(?:len lut|bi mat|chay an|an di|trom|len"
    r"|khong can (?:mat khau|dien thoai|dt|muon|cham|dong|touch|cam)"
    r"|without (?:them|her|him) knowing|secretly|hidden|spy|gian diep|an (?:icon|bieu tuong)|lang le|am tham"
    r"|luc (?:\w+ )?(?:ngu|vang nha|di vang|di tam|khong de y))\b"
)
# A child watched behind their back ("app spy track location con 16 tuổi mà nó không biết"); with the child's
# knowledge it is parental control, which lessons teach.
_CHILD = r"(?:con (?:minh|toi|mk|tui|gai|trai|be|nha \w+|\d+ tuoi)|dua con|con be|thang cu|be nha \w+)"
_CHILD_UNSEEN = re.compile(
    r"\b(?:ma|de|cho) (?:no|con|chau|be|nguoi ta)? ?(?:khong|ko|k|chang) (?:de |cho )?(?:\w+ )?(?:biet|hay|phat hien)"
    r"(?! (?:mat khau|mk|pass))|\b(?:len lut|bi mat|hidden|spy|gian diep|an (?:icon|bieu tuong)|doc len|xem len)\b"
)


def _then_on(target: str) -> str:
    """A few words later, the target or the target's phone: "… lên máy của vợ", "… điện thoại con gái"."""
    return rf"(?: \w+){{0,6}} (?:cua |tren |o )?(?:may |dien thoai |dt )?{target}\b"


_CHILD_WATCHED = re.compile(rf"\b{_INTRUDE}\b{_then_on(_CHILD)}")
# Someone named first, then their phone entered or watched, in secret: "con dâu bác … cài định vị lên máy nó mà đừng
# để nó biết".
_OTHER_THEN_WATCHED = re.compile(
    rf"\b(?:{_OTHER}|{_OTHER_WIDE})\b.*\b(?:{_INTRUDE}|{_LOCATION})\b"
    rf"|\b(?:{_INTRUDE}|{_LOCATION})\b{_then_on(_OTHER_WIDE)}"
    rf"|\b{_LOCATION}\b{_then_on(f'(?:cua )?{_OTHER}')}"
)
# Where someone is, behind their back: "chỉ cách biết ông nhà bà đang ở đâu …, mà đừng để ông biết".
_WHEREABOUTS = re.compile(rf"\bbiet {_OTHER}(?: \w+){{0,3}} (?:dang )?o dau\b")
_INTRUSION = re.compile(
    rf"\b{_INTRUDE}\b(?: \w+){{0,6}} (?:cua |tren |vao |o )?(?:may |dien thoai |dt |tai khoan |acc |xe may )?"
    # "… ck 2 triệu cho mẹ": whom the money is for, not whose account is entered.
    rf"(?:cua )?(?<!cho ){_OTHER}\b"
)
# "acc fb mk bị hack r": the learner's own account was hacked, which is a question to answer.
_HACK = re.compile(r"(?<!bi )\b(?:hack|bypass|crack|pha khoa)\b(?! (?:chua|khong|roi|r)\b)")
# Talking it over with the person ("nói chuyện với con gái … để con không thấy bị theo dõi lén") is the opposite of
# doing it behind their back.
_TALKS = re.compile(r"\b(?:noi chuyen voi|mo loi|thuyet phuc|giai thich cho|ban voi|hoi y)\b")
_AGREED = re.compile(
    r"\b(?:dong y|cho phep|thong nhat|ca nha|ca hai|moi nguoi deu|nho (?:toi|minh|mk) (?:lay lai|khoi phuc|cai|xem)"
    # The person asked for it or is there: "mẹ tôi bảo muốn tôi thấy vị trí", "tôi và bà đang cùng xem".
    r"|(?:bo|me|ba|ong|vo|chong|con)(?: toi| minh)? (?:bao|muon|nho|can)|cung (?:xem|lam|ngoi)|ngoi (?:canh|ben)"
    r"|co mat"
    r"|bi hack|bi mat|bi khoa|bi lua|quen mat khau)\b"
)


# Round 9: the device is named as someone else's, then something done on it in secret: "nếu điện thoại là của chồng
# tôi và tôi muốn bật cái đó lên lén lút, không cho anh ấy biết". Secrecy said outright: "bố không biết dùng" is not.
_THEIRS = re.compile(
    rf"\b(?:dien thoai|dt|may|tai khoan|acc|tk|zalo|facebook|fb|messenger)(?: nay| do)?(?: la)? cua {_OTHER}\b"
)
_IN_SECRET = re.compile(
    r"\b(?:len lut|trom|chay an|lang le|am tham|vung trom|khong (?:de|cho) (?:\w+ ){0,2}(?:biet|bt|hay|phat hien)"
    r"|luc (?:\w+ ){0,2}(?:ngu|vang nha|di vang|di tam|di hop|khong de y|ra ngoai)"
    r"|ma (?:\w+ ){0,2}(?:khong|ko|k|chang) (?:biet|bt|hay|phat hien)(?! (?:dung|cach|lam|su dung|chu|doc|gi)))\b"
)


def intrusion(folded: str) -> bool:
    """The accent-folded question asks to enter or watch someone else's phone, account or whereabouts behind their
    back."""
    if _CHILD_WATCHED.search(folded) and _CHILD_UNSEEN.search(folded):
        return True
    if _THEIRS.search(folded) and _IN_SECRET.search(folded) and not _TALKS.search(folded):
        return True
    if (_WHEREABOUTS.search(folded) or _OTHER_THEN_WATCHED.search(folded)) and _UNSEEN.search(folded):
        return not _TALKS.search(folded)
    if not _INTRUSION.search(folded):
        return False
    return bool(_UNSEEN.search(folded) or _HACK.search(folded) or not _AGREED.search(folded))
