"""ISO 639-1 language codes: the two-letter, lower-case codes IATI's Language codelist uses.

Written once, by hand, from the ISO 639-1 table (183 codes; the withdrawn "sh" left out). Used to check a
definition's `iati.language`, which every IATI file the programme exports declares as its xml:lang.
"""

from __future__ import annotations

CODES: frozenset[str] = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz
ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io
is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr
ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si
sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh
yi yo za zh zu
""".split())


def is_code(value: object) -> bool:
    """True when `value` is an ISO 639-1 language code (two lower-case letters, e.g. en)."""
    return isinstance(value, str) and value in CODES
