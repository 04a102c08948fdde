"""Decoding: UTF-8, cp1252, a UTF-8 BOM followed by cp1252, and UTF-8 and cp1252 lines mixed."""

from __future__ import annotations

from pathlib import Path

from leviers.subsidies.text import decode


def test_utf8_with_and_without_bom() -> None:
    assert decode("Département".encode()) == decode("Département".encode()).__class__(
        "Département", "utf-8", False
    )
    decoded = decode(b"\xef\xbb\xbf" + "Département".encode())
    assert (decoded.text, decoded.encoding, decoded.bom) == ("Département", "utf-8", True)


def test_bom_followed_by_cp1252(real_data: Path) -> None:
    raw = (
        real_data / "subventions/scdl-examples-2018/DEP_Somme_TB_20180302_DONNEES_CONVENTIONS.csv"
    ).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    decoded = decode(raw)
    assert decoded.encoding == "cp1252"
    assert decoded.bom
    assert decoded.text.startswith("nomAttribuant;")
    assert "Département de la Somme" in decoded.text
    # cp1252 right single quote (0x92) and euro sign (0x80) of the conditions column.
    assert "jusqu’à hauteur" in decoded.text
    assert "500 €" in decoded.text


def test_mixed_utf8_and_cp1252_lines(real_data: Path) -> None:
    name = "subventions/pays-de-la-loire-2019/85-Vendee_2018_Publication_données_Open_data_Subventions_Conventions.csv"
    decoded = decode((real_data / name).read_bytes())
    assert decoded.encoding == "utf-8+cp1252"
    # 114 data lines, every one naming the grantor with its accents right, whichever encoding it came in.
    assert decoded.text.count("Conseil Départemental de la Vendée") == 114
    assert "Ã©" not in decoded.text


def test_cp1252_undefined_bytes_are_kept() -> None:
    # 0x81 is undefined in cp1252: read as Latin-1 rather than lost.
    assert decode(b"caf\xe9 \x81").text == "café \x81"


def test_partial_sample_cut_inside_a_character() -> None:
    data = "Bénéficiaire".encode()
    assert decode(data[:2], partial=True).text == "B"


def test_utf16_with_bom_little_and_big_endian(real_data: Path) -> None:
    # The real Lot file (cp1252) saved as Excel's "Texte Unicode" would save it: UTF-16 with a BOM.
    original = (
        real_data / "subventions/scdl-examples-2018/DEP_Lot_Subventions_2017_DONNEES.xlsx_pour_exemple.csv"
    ).read_bytes()
    text = original.decode("cp1252")
    for data in (text.encode("utf-16"), b"\xfe\xff" + text.encode("utf-16-be")):
        decoded = decode(data)
        assert (decoded.text, decoded.encoding, decoded.bom) == (text, "utf-16", True)
    # A sample cut in the middle of a character (odd length, or half a surrogate pair) is tolerated.
    sample = "Département 𝄞".encode("utf-16")
    for cut in (1, 2, 3):
        assert decode(sample[:-cut], partial=True).text == "Département "


def test_ff_fe_opening_a_cp1252_file_is_not_utf16() -> None:
    # "ÿþ" in cp1252, then text that is not valid UTF-16 (odd length): read as before.
    decoded = decode("ÿþabc".encode("cp1252"))
    assert decoded.text == "ÿþabc"
