"""Check characters of Chinese codes, scalar form (python-stdnum does the arithmetic).

GB 32100-2015 统一社会信用代码 and GB 11643-1999 公民身份号码. The cleansing stage checks millions
of values with vectorised versions; these are the reference for single values (catalog metadata).
"""

from __future__ import annotations

import re

from stdnum.cn import ric, uscc

# 18 characters; alphabet without I, O, S, V, Z; positions 3-8 are a region code.
USCC_PATTERN = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a USCC."""
    return uscc.calc_check_digit(first17)


def uscc_is_valid(code: str) -> bool:
    return bool(USCC_PATTERN.fullmatch(code)) and uscc_check_char(code[:17]) == code[17]


def id_card_check_char(first17: str) -> str:
    """The GB 11643 (ISO 7064 MOD 11-2) check character for the first 17 digits of an ID number."""
    return ric.calc_check_digit(first17 + "0")  # stdnum wants the whole number and ignores its last character
