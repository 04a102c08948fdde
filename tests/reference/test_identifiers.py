from leviers.reference import is_valid_siren, is_valid_siret, siren_of


def test_luhn_on_real_identifiers() -> None:
    assert is_valid_siren("213300635")  # Bordeaux
    assert is_valid_siret("22330001300016")  # Département de la Gironde
    assert not is_valid_siren("213300636")
    assert not is_valid_siret("2233000130001")
    # La Poste's establishments follow their own rule (digit sum multiple of 5); constructed value.
    assert is_valid_siret("35600000000010")
    assert not is_valid_siret("35600000000011")


def test_siren_of() -> None:
    assert siren_of("213 300 635 00017") == "213300635"
    assert siren_of("213300635") == "213300635"
    assert siren_of("ABC") is None
    assert siren_of("1234567890") is None
