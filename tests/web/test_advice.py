"""The legal advisors' forms and JSON twins; values checked against ../shared/reference/law.md:
supplies/services dispense threshold 60 000 € HT for consultations from 2026-04-01, formal
procedure from 216 000 € HT for collectivités in 2026-2027, SPASER above 50 M€ a year since 2023."""

from __future__ import annotations

from html import unescape

from fastapi.testclient import TestClient


def test_index_lists_the_advisors_and_choices(small: TestClient) -> None:
    body = small.get("/api/v1/conseil").json()
    assert [a["page"] for a in body["conseillers"]] == [
        "advice_purchase", "advice_mode", "advice_spaser", "advice_competence", "kit",
    ]  # fmt: skip
    assert {c["code"] for c in body["choix"]["natures"]} >= {"travaux", "fournitures", "services"}
    html = small.get("/conseil").text
    assert 'href="/conseil/achat"' in html


def test_purchase_below_the_new_dispense_threshold(small: TestClient) -> None:
    body = small.get("/api/v1/conseil/achat?nature=services&montant=50000&date=2026-04-15").json()
    assert body["conseil"]["procedure"] == "dispense"
    dispense = next(
        s for s in body["conseil"]["seuils"] if s["parametre"].endswith("dispense.fournitures_services")
    )
    assert dispense["valeur"] == 60000
    assert dispense["date_effet"] == "2026-04-01"


def test_purchase_above_the_european_threshold(small: TestClient) -> None:
    query = "nature=services&montant=250+000&acheteur=collectivite&date=2026-09-15"
    body = small.get(f"/api/v1/conseil/achat?{query}").json()
    assert body["conseil"]["procedure"] == "formalisee"
    assert body["conseil"]["seuil_europeen_atteint"] is True
    html = small.get(f"/conseil/achat?{query}").text
    assert "Procédure formalisée" in html
    assert "216\u202f000 € HT" in html  # the threshold, in the table of thresholds applied
    assert "Étapes du calcul" in html
    partial = small.get(f"/conseil/achat?{query}", headers={"HX-Request": "true"})
    assert "<html" not in partial.text
    assert "Procédure formalisée" in partial.text


def test_spaser_above_fifty_million(small: TestClient) -> None:
    body = small.get("/api/v1/conseil/spaser?achats_annuels=60000000&date=2026-01-15").json()
    assert body["conseil"]["obligation"] == "obligatoire"
    below = small.get("/api/v1/conseil/spaser?achats_annuels=50000000&date=2026-01-15").json()
    assert below["conseil"]["obligation"] != "obligatoire"  # at 50 M€ exactly: no duty (strictly above)


def test_contracting_mode_and_competence(small: TestClient) -> None:
    mode = small.get(
        "/api/v1/conseil/contrat?initiative=collectivite&contrepartie_individualisee=oui"
        "&service_public_risque=non&activite_economique=oui&montant_annuel=50000&aides_trois_ans=50000"
    ).json()
    assert mode["conseil"]["mode"] == "marche_public"
    rural = small.get("/api/v1/conseil/competence?collectivite=commune&action=dernier_commerce_rural").json()
    assert rural["conseil"]["statut"] == "sous_conditions"
    assert "CGCT art. L2251-3" in rural["conseil"]["references"]


def test_empty_form_and_core_errors(small: TestClient) -> None:
    empty = small.get("/api/v1/conseil/achat").json()
    assert empty["conseil"] is None
    assert empty["erreur"] is None
    wrong = small.get("/api/v1/conseil/achat?nature=logiciels&montant=3")
    assert wrong.status_code == 400
    assert "logiciels" in wrong.json()["erreur"]["message"]
    page = small.get("/conseil/achat?nature=logiciels&montant=3")
    assert page.status_code == 400
    assert 'role="alert"' in page.text
    assert "logiciels" in page.text
    assert small.get("/api/v1/conseil/achat?nature=services&montant=1&date=15/04/2026").status_code == 422


def test_kit_pages(small: TestClient) -> None:
    index = small.get("/api/v1/kit").json()
    assert index["domaines"]
    assert index["leviers"]
    found = small.get("/api/v1/kit?q=insertion").json()["resultats"]
    assert found
    entry = small.get(f"/api/v1/kit/{found[0]['id']}").json()
    assert entry["fiche"]["id"] == found[0]["id"]
    assert small.get("/kit/intro.ess").status_code == 200
    missing = small.get("/api/v1/kit/absente")
    assert missing.status_code == 404
    assert "absente" in missing.json()["erreur"]["message"]


def test_errors_speak_the_form_s_words(small: TestClient) -> None:
    page = small.get("/conseil/competence?collectivite=commune&action=zzz")
    assert page.status_code == 400
    message = unescape(page.text).split("À corriger :</strong>")[1].split("</p>")[0]
    assert message.strip().startswith("« Action envisagée » : « zzz » n'est pas une réponse proposée")
    assert "aide_directe_entreprise" not in message  # no internal code in the message
    mode = unescape(small.get("/conseil/contrat?initiative=organisme&montant_annuel=1000").text)
    assert "« La collectivité reçoit-elle une contrepartie individualisée ? » : réponse manquante." in mode


def test_radios_sit_beside_their_labels_under_a_legend(small: TestClient) -> None:
    html = small.get("/conseil/contrat").text
    for name in ("contrepartie", "risque", "economique"):
        for answer in ("oui", "non"):
            # the radio, then its own label: read together, clicked together
            assert f'<input type="radio" id="{name}-{answer}"' in html
            assert f'<label for="{name}-{answer}">{answer}</label>' in html
    assert html.count("<fieldset") == 4  # the form's group and its three questions
    assert "<legend>Le partenariat envisagé</legend>" in html
    for path in ("/conseil/achat", "/conseil/spaser", "/conseil/competence"):
        assert '<fieldset class="form-group">' in small.get(path).text


def test_answers_name_kit_sheets_by_title_and_rules_without_none(small: TestClient) -> None:
    answer = small.get("/api/v1/conseil/achat?nature=services&montant=250000&date=2026-09-15").json()
    assert any(r["regle"] is None for r in answer["conseil"]["regles_datees"])  # the case at stake
    titles = answer["fiches_kit"]
    assert titles["levier.marche_reserve_insertion"] == "Marché réservé aux structures d'insertion (SIAE)"
    html = unescape(small.get("/conseil/achat?nature=services&montant=250000&date=2026-09-15").text)
    assert (
        '<a href="/kit/levier.marche_reserve_insertion">Marché réservé aux structures d\'insertion (SIAE)</a>'
        in html
    )
    assert ">levier.marche_reserve_insertion<" not in html
    assert "None" not in html
