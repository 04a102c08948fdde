"""Load the kit's YAML files and check them, with French errors naming the file and the record."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from leviers import yamlfiles
from leviers.errors import LeviersError
from leviers.kit.model import ADVISORS, NIVEAUX, KitEntry

DATA_DIR = Path(__file__).resolve().parent / "data"
ID_PATTERN = re.compile(r"^[a-z0-9_]+$")

LEVER_KEYS = {"code", "titre", "texte", "niveaux", "references", "mots_cles", "conseil"}
INTRO_KEYS = {"id", "titre", "texte", "references", "mots_cles"}
DOMAIN_KEYS = {"id", "titre", "texte", "niveaux", "references", "mots_cles", "actions"}
ACTION_KEYS = {"id", "titre", "texte", "niveaux", "references", "mots_cles", "leviers"}


class KitDataError(LeviersError):
    """A kit file is malformed: names the file, the record and the cause."""

    def __init__(self, path: Path | str, record: str, cause: str) -> None:
        super().__init__(f"{path} : {record} — {cause}")
        self.path = str(path)
        self.record = record
        self.cause = cause


def load_entries(directory: Path = DATA_DIR) -> list[KitEntry]:
    """Every entry of the kit in `directory`, checked; cross-references checked too."""
    entries: list[KitEntry] = []
    entries += _load_introductions(directory / "introduction.yaml")
    entries += _load_levers(directory / "leviers.yaml")
    domain_files = sorted((directory / "domaines").glob("*.yaml"))
    if not domain_files:
        raise KitDataError(directory / "domaines", "dossier", "aucune fiche thématique trouvée")
    for path in domain_files:
        entries += _load_domain(path)
    _check_links(entries)
    return entries


def _read(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yamlfiles.safe_load(handle)
    except FileNotFoundError:
        raise KitDataError(path, "fichier", "introuvable") from None
    except yaml.YAMLError as exc:
        raise KitDataError(path, "fichier", f"YAML illisible ({exc})") from None
    except UnicodeDecodeError:
        raise KitDataError(path, "fichier", "encodage invalide, UTF-8 attendu") from None


def _load_introductions(path: Path) -> list[KitEntry]:
    data = _read(path)
    records = _list_field(path, "fichier", data, "fiches")
    entries = []
    for index, record in enumerate(records, start=1):
        name = _record_name(record, "id", index)
        _check_keys(path, name, record, INTRO_KEYS, required={"id", "titre", "texte"})
        entries.append(
            KitEntry(
                id=_identifier(path, name, record["id"], prefix="intro."),
                type="introduction",
                titre=_text(path, name, record, "titre"),
                texte=_text(path, name, record, "texte"),
                source=_source(path),
                references=_strings(path, name, record, "references"),
                mots_cles=_strings(path, name, record, "mots_cles"),
            )
        )
    return entries


def _load_levers(path: Path) -> list[KitEntry]:
    data = _read(path)
    records = _list_field(path, "fichier", data, "leviers")
    entries = []
    for index, record in enumerate(records, start=1):
        name = _record_name(record, "code", index)
        _check_keys(
            path, name, record, LEVER_KEYS, required={"code", "titre", "texte", "niveaux", "references"}
        )
        code = _identifier(path, name, record["code"])
        conseil = record.get("conseil")
        if conseil is not None and conseil not in ADVISORS:
            raise KitDataError(
                path, name, f"champ « conseil » : « {conseil} » inconnu ({', '.join(ADVISORS)})"
            )
        entries.append(
            KitEntry(
                id=f"levier.{code}",
                type="levier",
                titre=_text(path, name, record, "titre"),
                texte=_text(path, name, record, "texte"),
                source=_source(path),
                niveaux=_niveaux(path, name, record),
                references=_strings(path, name, record, "references", required=True),
                mots_cles=_strings(path, name, record, "mots_cles"),
                conseil=conseil,
            )
        )
    return entries


def _load_domain(path: Path) -> list[KitEntry]:
    record = _read(path)
    if not isinstance(record, dict):
        raise KitDataError(path, "fichier", "une fiche thématique (dictionnaire) est attendue")
    name = _record_name(record, "id", 1)
    _check_keys(path, name, record, DOMAIN_KEYS, required={"id", "titre", "texte", "niveaux", "actions"})
    domain_id = _identifier(path, name, record["id"])
    actions = []
    for index, action in enumerate(_list_field(path, name, record, "actions"), start=1):
        action_name = f"action {_record_name(action, 'id', index)}"
        _check_keys(
            path,
            action_name,
            action,
            ACTION_KEYS,
            required={"id", "titre", "texte", "niveaux", "references", "leviers"},
        )
        action_id = f"{domain_id}.{_identifier(path, action_name, action['id'])}"
        levers = _strings(path, action_name, action, "leviers", required=True)
        actions.append(
            KitEntry(
                id=action_id,
                type="action",
                titre=_text(path, action_name, action, "titre"),
                texte=_text(path, action_name, action, "texte"),
                source=_source(path),
                niveaux=_niveaux(path, action_name, action),
                references=_strings(path, action_name, action, "references", required=True),
                mots_cles=_strings(path, action_name, action, "mots_cles"),
                leviers=[f"levier.{code}" for code in levers],
                domaine=domain_id,
            )
        )
    domain = KitEntry(
        id=domain_id,
        type="domaine",
        titre=_text(path, name, record, "titre"),
        texte=_text(path, name, record, "texte"),
        source=_source(path),
        niveaux=_niveaux(path, name, record),
        references=_strings(path, name, record, "references"),
        mots_cles=_strings(path, name, record, "mots_cles"),
        actions=[action.id for action in actions],
    )
    return [domain, *actions]


def _check_links(entries: list[KitEntry]) -> None:
    ids: dict[str, KitEntry] = {}
    for entry in entries:
        if entry.id in ids:
            raise KitDataError(
                entry.source, entry.id, f"identifiant en double (déjà dans {ids[entry.id].source})"
            )
        ids[entry.id] = entry
    for entry in entries:
        for lever in entry.leviers:
            if lever not in ids:
                raise KitDataError(
                    entry.source, entry.id, f"levier inconnu « {lever.removeprefix('levier.')} »"
                )


# --- field checks -------------------------------------------------------------------------------


def _source(path: Path) -> str:
    try:
        return str(path.relative_to(DATA_DIR.parent.parent.parent))
    except ValueError:
        return str(path)


def _record_name(record: Any, key: str, index: int) -> str:
    if isinstance(record, dict) and isinstance(record.get(key), str):
        return f"« {record[key]} »"
    return f"enregistrement n° {index}"


def _list_field(path: Path, name: str, data: Any, key: str) -> list[Any]:
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise KitDataError(path, name, f"liste « {key} » attendue")
    return list(data[key])


def _check_keys(path: Path, name: str, record: Any, allowed: set[str], required: set[str]) -> None:
    if not isinstance(record, dict):
        raise KitDataError(path, name, "dictionnaire attendu")
    unknown = sorted(set(record) - allowed)
    if unknown:
        raise KitDataError(path, name, f"champ(s) inconnu(s) : {', '.join(unknown)}")
    missing = sorted(required - set(record))
    if missing:
        raise KitDataError(path, name, f"champ(s) manquant(s) : {', '.join(missing)}")


def _identifier(path: Path, name: str, value: Any, prefix: str = "") -> str:
    text = value.removeprefix(prefix) if isinstance(value, str) else None
    if text is None or not ID_PATTERN.match(text):
        raise KitDataError(path, name, f"identifiant « {value} » invalide (lettres minuscules, chiffres, _)")
    return f"{prefix}{text}"


def _text(path: Path, name: str, record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value.strip():
        raise KitDataError(path, name, f"champ « {key} » : texte non vide attendu")
    return " ".join(value.split())


def _strings(path: Path, name: str, record: dict[str, Any], key: str, required: bool = False) -> list[str]:
    value = record.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise KitDataError(path, name, f"champ « {key} » : liste de textes attendue")
    if required and not value:
        raise KitDataError(path, name, f"champ « {key} » : au moins un élément attendu")
    return [" ".join(item.split()) for item in value]


def _niveaux(path: Path, name: str, record: dict[str, Any]) -> list[str]:
    niveaux = _strings(path, name, record, "niveaux", required=True)
    unknown = [niveau for niveau in niveaux if niveau not in NIVEAUX]
    if unknown:
        raise KitDataError(
            path, name, f"niveau(x) inconnu(s) : {', '.join(unknown)} (attendus : {', '.join(NIVEAUX)})"
        )
    return niveaux
