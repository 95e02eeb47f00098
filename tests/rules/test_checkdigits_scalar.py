"""Check characters against the published test vectors (domain notes §3.2)."""

from gongshu.rules.checkdigits import id_card_check_char, uscc_check_char, uscc_is_valid


def test_uscc_vectors():
    for code in ("91110108551385082Q", "91110000600037341L"):
        assert uscc_check_char(code[:17]) == code[17]
        assert uscc_is_valid(code)
    assert not uscc_is_valid("91110108551385082A")
    # legal early pilot codes that fail the checksum are not "valid" by arithmetic
    assert not uscc_is_valid("91350100M0001TGQXM")
    assert not uscc_is_valid("9111010855138508２Q")  # a full-width digit is not a USCC character


def test_id_card_vectors():
    for number in ("34052419800101001X", "51343620000320711X", "411224198012257571", "654022197901228286"):
        assert id_card_check_char(number[:17]) == number[17]
    for number in ("340524198001010013", "513436199010256982"):
        assert id_card_check_char(number[:17]) != number[17]
