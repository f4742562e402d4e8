"""The bundled JSON-LD contexts: manifest integrity, and byte-equality with ../shared/reference/contexts."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from omc_vc._internal.resources import contexts_dir
from omc_vc.jsonld import BundledLoader
from tests.conftest import SHARED

CONTEXTS = contexts_dir()
MANIFEST = json.loads((CONTEXTS / "manifest.json").read_text(encoding="utf-8"))
SHARED_CONTEXTS = SHARED / "reference" / "contexts"

# URLs whose context every credential omc-vc issues or verifies needs (DI 1.0 §2.4 names the first three
# "already resolved"; VC v2 and OB 3.0.3 are the OMC contexts; the rest come with the vectors).
REQUIRED_URLS = {
    "https://w3id.org/security/data-integrity/v2",
    "https://w3id.org/security/multikey/v1",
    "https://w3id.org/security/jwk/v1",
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/2018/credentials/v1",
    "https://www.w3.org/ns/credentials/examples/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "https://www.w3.org/ns/credentials/status/v1",
    "https://www.w3.org/ns/cid/v1",
    "https://www.w3.org/ns/did/v1",
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_shape() -> None:
    assert isinstance(MANIFEST, list) and MANIFEST
    urls = [entry["url"] for entry in MANIFEST]
    assert len(urls) == len(set(urls)), "a URL is listed twice"
    for entry in MANIFEST:
        assert set(entry) == {"url", "file", "sha256"}
        assert entry["url"].startswith("https://")
        assert "/" not in entry["file"] and not entry["file"].startswith(".")
        assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["url"] for e in MANIFEST])
def test_manifest_hash_matches_file(entry: dict[str, str]) -> None:
    path = CONTEXTS / entry["file"]
    assert path.is_file(), f"{entry['file']} is in the manifest but not in contexts/"
    assert _sha256(path) == entry["sha256"]


def test_every_context_file_is_listed() -> None:
    listed = {entry["file"] for entry in MANIFEST}
    present = {path.name for path in CONTEXTS.iterdir() if path.is_file() and path.name != "manifest.json"}
    assert present <= listed, f"files not in the manifest: {sorted(present - listed)}"


def test_required_urls_are_bundled() -> None:
    assert REQUIRED_URLS <= {entry["url"] for entry in MANIFEST}


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["url"] for e in MANIFEST])
def test_loader_serves_each_manifest_url(entry: dict[str, str]) -> None:
    remote = BundledLoader()(entry["url"], {})
    assert remote["documentUrl"] == entry["url"]
    assert remote["contextUrl"] is None
    assert remote["document"] == json.loads((CONTEXTS / entry["file"]).read_bytes())
    assert "@context" in remote["document"]


# --- against ../shared/reference/contexts ---------------------------------------------------------------


def _index_tables() -> tuple[dict[str, str], dict[str, str]]:
    """(file -> sha256 from the "Hashes" table, URL -> file from the "URL → file" table) of INDEX.md."""
    text = (SHARED_CONTEXTS / "INDEX.md").read_text(encoding="utf-8")
    hashes: dict[str, str] = {}
    url_to_file: dict[str, str] = {}
    section = ""
    for line in text.splitlines():
        if line.startswith("## "):
            section = line
            continue
        if not line.startswith("| ") or line.startswith("|---"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if section.startswith("## Hashes") and len(cells) >= 3 and re.fullmatch(r"[0-9a-f]{64}", cells[2]):
            hashes[cells[0]] = cells[2]
        elif section.startswith("## URL") and cells[0].startswith("https://"):
            url_to_file[cells[0].split()[0]] = cells[1]
    return hashes, url_to_file


@pytest.fixture(scope="module")
def index_tables(shared_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    if not (SHARED_CONTEXTS / "INDEX.md").is_file():
        pytest.skip(f"{SHARED_CONTEXTS / 'INDEX.md'} not found")
    return _index_tables()


def test_index_md_parses(index_tables: tuple[dict[str, str], dict[str, str]]) -> None:
    hashes, url_to_file = index_tables
    assert len(hashes) >= 15 and len(url_to_file) >= 15


@pytest.mark.parametrize("file", sorted({e["file"] for e in MANIFEST}))
def test_bundled_file_matches_index_md_and_shared_copy(
    file: str, index_tables: tuple[dict[str, str], dict[str, str]]
) -> None:
    hashes, _ = index_tables
    if file not in hashes and not (SHARED_CONTEXTS / file).exists():
        pytest.skip(f"{file} is not a published context (omc-vc's own): nothing to compare with")
    assert file in hashes, f"{file} has no row in INDEX.md"
    assert _sha256(CONTEXTS / file) == hashes[file]
    assert (CONTEXTS / file).read_bytes() == (SHARED_CONTEXTS / file).read_bytes()


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["url"] for e in MANIFEST])
def test_manifest_url_maps_to_the_index_md_file(
    entry: dict[str, str], index_tables: tuple[dict[str, str], dict[str, str]]
) -> None:
    _, url_to_file = index_tables
    if entry["url"] not in url_to_file:
        pytest.skip(f"{entry['url']} is not in INDEX.md (an alias, or omc-vc's own context)")
    assert url_to_file[entry["url"]] == entry["file"]
