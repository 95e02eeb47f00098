"""Text tidied for a whole column at once: full-width forms folded (all of them in codes, only
digits and letters in Chinese text), U+3000 and whitespace runs, null tokens, mojibake."""

from __future__ import annotations

import pyarrow as pa
import pytest

from gongshu.rules.column import prepare
from gongshu.rules.text import NULL_TOKENS, mojibake, normalise

TEXT_CASES = [
    # written, tidied text, FULLWIDTH reported
    ("浙玉渔１４１８２", "浙玉渔14182", True),
    ("ＪＹ１３３１００２", "JY1331002", True),
    ("有限责任公司（自然人投资或控股）", "有限责任公司（自然人投资或控股）", False),  # the standards' punctuation stays
    ("一般项目：销售；进出口～", "一般项目：销售；进出口～", False),
    ("\u3000椒江区\u3000", "椒江区", True),
    ("台州\u3000市", "台州 市", True),
    ("  台州   市\t椒江区\n", "台州 市 椒江区", False),  # plain whitespace is tidied silently
    ("ａｂｃ　ＤＥＦ", "abc DEF", True),
    ("", "", False),
    (None, None, False),
]


def test_text_keeps_chinese_punctuation_and_folds_digits_and_letters():
    text, fullwidth = normalise(pa.array([c[0] for c in TEXT_CASES], pa.string()), code_like=False, collapse=True)
    assert text.to_pylist() == [c[1] for c in TEXT_CASES]
    assert fullwidth.tolist() == [c[2] for c in TEXT_CASES]


def test_codes_fold_every_fullwidth_form_and_keep_inner_spaces():
    written = [
        "９１３３１００２ＭＡ２ＰＲ３ＱＹＬＹ",
        "（０５７６）８８１２３４５６",
        "２０２０－０１－０２",
        "a  b",
        "\u3000x",
    ]
    text, fullwidth = normalise(pa.array(written), code_like=True, collapse=False)
    assert text.to_pylist() == ["91331002MA2PR3QYLY", "(0576)88123456", "2020-01-02", "a  b", "x"]
    assert fullwidth.tolist() == [True, True, True, False, True]


def test_sliced_and_chunked_columns_read_their_own_bytes():
    column = pa.chunked_array([pa.array(["x", "１２", " a  b "]), pa.array(["ｃ", None])]).slice(1)
    text, fullwidth = normalise(column, code_like=False, collapse=True)
    assert text.to_pylist() == ["12", "a b", "c", None]
    assert fullwidth.tolist() == [True, False, True, False]


@pytest.mark.parametrize("token", sorted(NULL_TOKENS))
def test_null_tokens_read_as_empty(token):
    prepared = prepare(pa.array([f" {token} ", "无锡市", "NULLA"]), code_like=False)
    assert prepared.values.to_pylist() == [None, "无锡市", "NULLA"]
    assert prepared.null_token.tolist() == [True, False, False]


def test_fullwidth_null_token_is_a_null_token():
    prepared = prepare(pa.array(["ＮＵＬＬ", "\u3000"]), code_like=True)
    assert prepared.values.to_pylist() == [None, None]
    assert prepared.null_token.tolist() == [True, False]
    assert prepared.fullwidth.tolist() == [False, False]  # nothing left to report but the token


@pytest.mark.parametrize(
    "garbled",
    [
        "锟斤拷锟斤拷",
        "台州\ufffd市",
        "Ã¤",
        "cafÃ©",
        "â€™s",
        "ä¸­æ–‡",
        "æµ\u0099æ±\u009f",
    ],  # the last: 浙江 read as Latin-1
)
def test_mojibake_is_recognised(garbled):
    assert mojibake(pa.array(["台州市椒江区", garbled, None])).tolist() == [False, True, False]


def test_real_text_is_not_mojibake():
    clean = ["有限责任公司（自然人投资或控股）", "José Müller", "25°C ±2", "×3", "《通知》、「附件」。", "é"]
    assert not mojibake(pa.array(clean)).any()
