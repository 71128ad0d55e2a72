"""Bringing characters into the library and finding them again.

Files are written first and the library row last, so a failure at any point leaves either a
complete character or nothing (stray files of a failed import are removed).
"""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

from avpe_desktop.domain import Character, CharacterDetails
from avpe_desktop.domain._base import new_id, utc_now
from avpe_desktop.engines.base import CharacterAnalyst
from avpe_desktop.media.images import CheckedImage, check_image_file, thumbnail_png
from avpe_desktop.storage.atomic import atomic_write_bytes
from avpe_desktop.storage.repository import LibraryRepository

MAX_NAME_LENGTH = 120


class CharacterError(ValueError):
    """A character request that cannot be carried out; the message is for the creator."""


def clean_name(name: str) -> str:
    """Names show up in titles, prompts and folder names: one line, no control characters."""
    text = unicodedata.normalize("NFC", name)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = " ".join(text.split())
    if not text:
        raise CharacterError("A character needs a name.")
    if len(text) > MAX_NAME_LENGTH:
        raise CharacterError(f"A character name can be at most {MAX_NAME_LENGTH} characters.")
    return text


def import_character(
    repo: LibraryRepository,
    library_dir: Path,
    image_path: str | Path,
    name: str,
    details: CharacterDetails | None = None,
) -> Character:
    """Validates the image and the name, copies the image (upright, alpha kept, as PNG) and
    a thumbnail into the library, and records the character."""
    name = clean_name(name)
    checked = check_image_file(image_path)
    existing = _by_name(repo, name)
    if existing is not None:
        raise CharacterError(
            f"There is already a character named '{existing.name}'. Pick another name."
        )
    return _store(repo, library_dir, checked, name, details or CharacterDetails())


def _store(
    repo: LibraryRepository,
    library_dir: Path,
    checked: CheckedImage,
    name: str,
    details: CharacterDetails,
) -> Character:
    character_id = new_id()
    folder = library_dir / "characters" / character_id
    try:
        atomic_write_bytes(folder / "image.png", checked.png)
        atomic_write_bytes(folder / "thumbnail.png", thumbnail_png(checked.image))
        character = Character(
            id=character_id,
            name=name,
            image=f"characters/{character_id}/image.png",
            thumbnail=f"characters/{character_id}/thumbnail.png",
            image_sha256=checked.sha256,
            width=checked.image.width,
            height=checked.image.height,
            has_alpha=checked.has_alpha,
            details=details,
        )
        repo.add_character(character)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return character


async def analyse_character(
    repo: LibraryRepository, library_dir: Path, character: Character, analyst: CharacterAnalyst
) -> Character:
    """Fills the details from the image, keeping the creature language the creator chose."""
    image = (library_dir / character.image).read_bytes()
    details = await analyst.analyse(image, character.name)
    details = details.model_copy(update={"creature_language": character.details.creature_language})
    updated = character.model_copy(update={"details": details, "updated_at": utc_now()})
    repo.update_character(updated)
    return updated


def find_character(repo: LibraryRepository, ref: str) -> Character:
    """By id, or by name ignoring case, the way a creator types it on the command line."""
    ref = ref.strip()
    found = _by_name(repo, ref)
    if found is not None:
        return found
    for character in repo.list_characters():
        if character.id == ref:
            return character
    if not repo.list_characters():
        raise CharacterError(
            f"No character called '{ref}': the library has no characters yet. Add one with "
            "'avpe character add IMAGE --name NAME' (or Import in the Library)."
        )
    raise CharacterError(f"No character called '{ref}'. 'avpe character list' shows the library.")


def remove_character(repo: LibraryRepository, library_dir: Path, character: Character) -> None:
    repo.delete_character(character.id)
    shutil.rmtree(library_dir / "characters" / character.id, ignore_errors=True)


def image_path(library_dir: Path, character: Character) -> Path:
    return library_dir / character.image


def _by_name(repo: LibraryRepository, name: str) -> Character | None:
    wanted = name.casefold()
    for character in repo.list_characters():
        if character.name.casefold() == wanted:
            return character
    return None
