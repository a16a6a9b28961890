"""ISO 4217 currency codes: the alphabetic codes of the currencies a programme's money can be given in.

Written once, by hand, from ISO 4217 List One (current currency and funds) as published by its maintenance
agency in 2025: every national and supranational currency, the fund codes and the IMF's special drawing
right (XDR); the precious metals (XAU, XAG, XPD, XPT), bond-market units (XBA-XBD), the test code (XTS) and
"no currency" (XXX) are left out, since no programme's budget is given in them. Used to check a definition's
`currency` (it is written into IATI files as is). No network, no pycountry.
"""

from __future__ import annotations

CODES: frozenset[str] = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN
BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK
DJF DKK DOP DZD
EGP ERN ETB EUR
FJD FKP
GBP GEL GHS GIP GMD GNF GTQ GYD
HKD HNL HTG HUF
IDR ILS INR IQD IRR ISK
JMD JOD JPY
KES KGS KHR KMF KPW KRW KWD KYD KZT
LAK LBP LKR LRD LSL LYD
MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN
NAD NGN NIO NOK NPR NZD
OMR
PAB PEN PGK PHP PKR PLN PYG
QAR
RON RSD RUB RWF
SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL
THB TJS TMT TND TOP TRY TTD TWD TZS
UAH UGX USD USN UYI UYU UYW UZS
VED VES VND VUV
WST
XAF XCD XCG XDR XOF XPF XSU XUA
YER
ZAR ZMW ZWG
""".split())


def is_code(value: object) -> bool:
    """True when `value` is a current ISO 4217 currency code (three capital letters, e.g. GBP)."""
    return isinstance(value, str) and value in CODES
