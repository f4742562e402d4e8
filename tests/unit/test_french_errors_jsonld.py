"""JSON-LD, verification, status list, OMC policy and VC-API errors in French: the detail of each is one of our
sentences, shown in the reader's language while its English text (``str(exc)``) and its code stay as they were."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli

from omc_vc import jsonld, jsonld_plain
from omc_vc.checks.status import StatusListCheck
from omc_vc.did import DidResolver
from omc_vc.errors import DataLossError, NonPlainJsonLdError, PolicyError
from omc_vc.i18n import translator
from omc_vc.model import VerificationResult
from omc_vc.omc.profile import require_omc
from omc_vc.verify import CheckContext
from omc_vc.web import vcapi

FRENCH = {"LANG": "fr_CA.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""}
V2 = "https://www.w3.org/ns/credentials/v2"
LIST_URL = "https://example.edu/status/1"


def _fr(text: str) -> str:
    return translator("fr").render(text)


def test_a_property_no_context_defines_is_named_in_french() -> None:
    """A French reader would otherwise read "JSON-LD processing would drop data: property 'colour' is not defined
    by any context at $.colour"."""
    document = {"@context": [V2], "type": ["VerifiableCredential"], "colour": "blue"}
    with pytest.raises(DataLossError) as info:
        jsonld.check_data_loss(document)
    assert str(info.value) == ("JSON-LD processing would drop data: property 'colour' is not defined by any context "
                               "at $.colour")
    assert _fr(info.value.detail) == ("le traitement JSON-LD perdrait des données\u00a0: la propriété 'colour' n’est "
                                      "définie par aucun contexte à $.colour")
    assert info.value.code == "DATA_LOSS_DETECTION_ERROR"


def test_a_json_form_the_signature_does_not_cover_is_refused_in_french() -> None:
    """A French reader would otherwise read "the keyword @nest ('@nest') is not allowed in a signed document at $:
    the signature covers the graph, ..."."""
    document = {"@context": [V2], "type": ["VerifiableCredential"], "@nest": {"validUntil": "2000-01-01T00:00:00Z"}}
    with pytest.raises(NonPlainJsonLdError) as info:
        jsonld_plain.require_plain(document)
    assert str(info.value) == ("the keyword @nest ('@nest') is not allowed in a signed document at $: the signature "
                               "covers the graph, and this JSON form would let what the checks read differ from it")
    assert _fr(info.value.detail) == ("le mot-clé @nest ('@nest') n’est pas permis dans un document signé à $\u00a0: "
                                      "la signature couvre le graphe, et cette forme JSON permettrait que ce que "
                                      "lisent les vérifications en diffère")
    assert info.value.code == "NON_PLAIN_JSON_LD"


def test_an_omc_refused_at_issuance_names_every_problem_in_french() -> None:
    """A French reader would otherwise read "refused: type: an OMC is an OpenBadgeCredential (OB 3.0 §B.1.1) (and 2
    more: ...)": the first problem, the count and the others joined with "; " are each French."""
    with pytest.raises(PolicyError) as info:
        require_omc({"type": ["VerifiableCredential"]})
    assert str(info.value) == (
        "refused: type: an OMC is an OpenBadgeCredential (OB 3.0 §B.1.1) (and 2 more: @context: the OMC context "
        "https://omc-vc.ca/contexts/omc/v1 is missing; credentialSubject.achievement: missing (an OMC has exactly "
        "one AchievementSubject with an achievement))")
    assert _fr(info.value.detail) == (
        "refusée\u00a0: type\u00a0: une microcertification de l’Ontario est un OpenBadgeCredential (OB 3.0 §B.1.1) "
        "(et 2 autres\u00a0: @context\u00a0: le contexte OMC https://omc-vc.ca/contexts/omc/v1 manque; "
        "credentialSubject.achievement\u00a0: absent (une microcertification de l’Ontario a exactement un "
        "AchievementSubject avec une réalisation))")
    assert info.value.code == "POLICY_VIOLATION"
    assert info.value.context["field"] == "type"


def _status_entry(index: int, purpose: str) -> dict[str, Any]:
    return {"id": f"{LIST_URL}#{index}", "type": "BitstringStatusListEntry", "statusPurpose": purpose,
            "statusListIndex": str(index), "statusListCredential": LIST_URL}


def test_a_status_list_that_cannot_be_fetched_is_reported_in_french() -> None:
    """A French reader would otherwise read "credentialStatus[0]: cannot fetch the status list ...: network access
    is not configured and no fresh copy is cached", and "the credential has 40 status entries; at most 4 are
    checked" for a credential naming too many lists."""
    doc: dict[str, Any] = {"@context": [V2], "type": ["VerifiableCredential"], "issuer": "did:example:college",
                           "credentialSubject": {"id": "did:example:learner"},
                           "credentialStatus": [_status_entry(5, "revocation"), _status_entry(6, "suspension")]}
    ctx = CheckContext(now=datetime(2026, 6, 1, tzinfo=UTC), resolver=DidResolver(), fetcher=None, loader=None,
                       result=VerificationResult())
    [check] = StatusListCheck(None)(doc, ctx)
    assert check.detail == (f"credentialStatus[0]: cannot fetch the status list {LIST_URL}: network access is not "
                            "configured and no fresh copy is cached")
    assert _fr(check.detail) == (f"credentialStatus[0]\u00a0: impossible d’obtenir la liste d’états {LIST_URL}\u00a0: "
                                 "l’accès au réseau n’est pas configuré et aucune copie récente n’est en cache")
    assert check.code == "STATUS_RETRIEVAL_ERROR"
    doc["credentialStatus"] = [_status_entry(index, "revocation") for index in range(40)]
    [check] = StatusListCheck(None)(doc, ctx)
    assert check.detail == "the credential has 40 status entries; at most 4 are checked"
    assert _fr(check.detail) == "l’attestation a 40 entrées d’état; au plus 4 sont vérifiées"
    assert check.code == "MALFORMED_VALUE_ERROR"


def test_vc_api_request_errors_are_in_french() -> None:
    """A VC-API client asking in French would otherwise read "verifiableCredential must be a JSON object (a
    credential or an EnvelopedVerifiableCredential)" and "the Idempotency-Key must be 1 to 255 printable ASCII
    characters ..."."""
    with pytest.raises(vcapi.ApiError) as info:
        vcapi.verify_credential({"verifiableCredential": []}, None)  # type: ignore[arg-type]
    assert str(info.value) == ("verifiableCredential must be a JSON object (a credential or an "
                               "EnvelopedVerifiableCredential)")
    assert _fr(info.value.detail) == ("verifiableCredential doit être un objet JSON (une attestation ou une "
                                      "EnvelopedVerifiableCredential)")
    assert info.value.code == "PARSING_ERROR"
    with pytest.raises(vcapi.ApiError) as key:
        vcapi.request_key(["clé"])
    assert str(key.value) == ("the Idempotency-Key must be 1 to 255 printable ASCII characters (a UUID is best), as "
                              "a bare value or a quoted string")
    assert _fr(key.value.detail) == ("l’Idempotency-Key doit compter de 1 à 255 caractères ASCII imprimables (un UUID "
                                     "de préférence), en valeur simple ou en chaîne entre guillemets")
    assert key.value.code == "IDEMPOTENCY_KEY_INVALID"


def test_omc_policy_show_reports_an_unknown_policy_key_in_french(tmp_path: Path) -> None:
    """Under LANG=fr_CA.UTF-8 a French reader would otherwise read "error: CONFIG_ERROR: policy: unknown key
    'colour'"; the code stays CONFIG_ERROR."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"colour": "blue"}), encoding="utf-8")
    result = CliRunner().invoke(cli, ["policy", "show", "--policy", str(policy)], env=FRENCH, prog_name="omc")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == ["error: CONFIG_ERROR: politique\u00a0: clé inconnue 'colour'"]
