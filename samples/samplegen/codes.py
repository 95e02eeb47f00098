"""Check characters of the codes the samples carry: 统一社会信用代码, 公民身份号码, 组织机构代码.

The scalar functions use python-stdnum, the reference the cleansing stage also uses. The numpy
versions compute the same characters for a whole matrix of codes at once (large files); the tests
compare the two.
"""

from __future__ import annotations

import numpy as np
from stdnum.cn import ric, uscc

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: 31 characters, no I O S V Z
USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64)
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK_CHARS = "10X98765432"  # GB 11643: indexed by the weighted sum mod 11

# Legal early pilot-region codes that fail the GB 32100 check (domain notes §3.2): a warning, not an error.
USCC_PILOT_CODES = ("91350100M0001TGQXM", "91350211M0000XUF46")


def uscc_check(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a 统一社会信用代码."""
    return uscc.calc_check_digit(first17)


def id_check(first17: str) -> str:
    """The GB 11643 check digit for the first 17 digits of a 公民身份号码.

    ``stdnum.cn.ric.calc_check_digit`` expects the whole 18-character number and ignores its last
    character, so a placeholder is appended here.
    """
    return ric.calc_check_digit(first17 + "0")


def org_code_check(first8: str) -> str:
    """The GB 11714 check character of a 9-character 组织机构代码 (the USCC's 主体标识码 before 2015)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip(first8, weights, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_check_matrix(values: np.ndarray) -> np.ndarray:
    """Check characters (as ASCII codes) for an (n, 17) matrix of USCC alphabet indexes."""
    total = values.astype(np.int64) @ USCC_WEIGHTS
    lut = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
    return lut[(31 - total % 31) % 31]


def id_check_matrix(digits: np.ndarray) -> np.ndarray:
    """Check digits (as ASCII codes) for an (n, 17) matrix of ID-number digits."""
    total = digits.astype(np.int64) @ ID_WEIGHTS
    lut = np.frombuffer(ID_CHECK_CHARS.encode(), dtype=np.uint8)
    return lut[total % 11]
