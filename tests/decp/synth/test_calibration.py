"""The generated rates match the official figures they are calibrated on (decp.md §4, §5)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from leviers.decp.synth import Options, generate_decp


@pytest.mark.slow
def test_rates_on_30000_contracts(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    generate_decp(Options(contracts=30_000, seed=2024, nc_rate=0, invalid_rate=0), path, "consolide-parquet")
    con = duckdb.connect()
    t = f"read_parquet('{path}')"
    initial = (
        f"(SELECT * FROM {t} WHERE modification_id = 0 QUALIFY row_number() OVER (PARTITION BY uid) = 1)"
    )
    social, env, collectivites, pme = con.execute(
        f"""SELECT avg((considerationsSociales <> 'Sans objet')::INT), avg((considerationsEnvironnementales <> 'Sans objet')::INT),
                   avg((acheteur_categorie IN ('Commune', 'Groupement de communes', 'Département', 'Département outre-mer', 'Région'))::INT),
                   avg((titulaire_categorie = 'PME')::INT) FILTER (WHERE titulaire_typeIdentifiant = 'SIRET')
            FROM {initial}"""
    ).fetchone()  # type: ignore[misc]
    assert social == pytest.approx(0.187, abs=0.01)  # OECP 2023, by number
    assert env == pytest.approx(0.291, abs=0.01)
    assert collectivites == pytest.approx(0.80, abs=0.01)
    # The first titulaire's category is calibrated; co-titulaires are not, so allow a wider margin.
    assert pme == pytest.approx(0.599, abs=0.03)
    rows, uids, current = con.execute(
        f"SELECT count(*), count(DISTINCT uid), count(*) FILTER (WHERE donneesActuelles) FROM {t}"
    ).fetchone()  # type: ignore[misc]
    assert rows / uids == pytest.approx(3_283_035 / 1_845_800, rel=0.04)  # §5 rows per contract
    assert current / uids == pytest.approx(2_114_675 / 1_833_468, rel=0.02)  # titulaires per contract
    mean_90k = con.execute(f"SELECT avg(montant) FROM {initial} WHERE montant >= 90000").fetchone()[0]  # type: ignore[index]
    assert mean_90k == pytest.approx(170.6e9 / 243_731, rel=0.25)  # heavy tail: loose bound
