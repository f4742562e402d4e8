"""The OpenAPI 3.1 description served at ``/openapi.json`` (the VC-API subset this service implements)."""

from __future__ import annotations

from typing import Any

from omc_vc import __version__


def _problem() -> dict[str, Any]:
    return {"description": "Problem details (RFC 9457)",
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _oauth_error() -> dict[str, Any]:
    return {"description": "OAuth error (RFC 6749 §5.2, RFC 6750 §3, OpenID4VCI 1.0 §8.3.1)",
            "content": {"application/json": {"schema": {"type": "object", "required": ["error"], "properties": {
                "error": {"type": "string"}, "error_description": {"type": "string"}}}}}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def openapi_document(base_url: str) -> dict[str, Any]:
    obj = {"type": "object"}
    verify_result = {"$ref": "#/components/schemas/VerifyResult"}
    presentation_result = {"$ref": "#/components/schemas/PresentationVerifyResult"}
    verdict = {"$ref": "#/components/schemas/Verdict"}
    facts = {"type": "array", "items": {"$ref": "#/components/schemas/Fact"}}
    # the page's answers are in the reader's language: ?lang= (the page's switch), else Accept-Language
    lang = [{"name": "lang", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "en or fr (a BCP 47 tag such as fr-CA); without it, Accept-Language; default en"}]
    bearer: list[dict[str, list[str]]] = [{"bearerAuth": []}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "omc-vc verifier service", "version": __version__,
                 "description": "Verify Ontario Micro-Credentials (W3C VCDM 2.0 / Open Badges 3.0): the VC-API "
                                "(W3C VCALM draft) endpoints, the employer's verdict endpoints, hosted status lists, "
                                "registry and DID documents, and short-mode shares. Every POST and DELETE whose "
                                "Origin is not this service (or whose Sec-Fetch-Site is cross-site or same-site) is "
                                "refused with 403; the JSON endpoints refuse form and text/plain bodies with 415 (the "
                                "OpenID4VCI token endpoint takes the form body RFC 6749 requires)."},
        "servers": [{"url": base_url}],
        "paths": {
            "/credentials/verify": {"post": {
                "summary": "Verify a credential (Data Integrity or EnvelopedVerifiableCredential)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["verifiableCredential"],
                    "properties": {"verifiableCredential": obj, "options": {"type": "object", "properties": {
                        "checks": {"type": "array", "items": {"type": "string"}}}}}}}}},
                "responses": {"200": _json(verify_result, "Verified"), "400": _json(verify_result, "Not verified"),
                              "413": _problem()}}},
            "/presentations/verify": {"post": {
                "summary": "Verify a presentation (proof purpose authentication, challenge, domain, credentials)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["verifiablePresentation"],
                    "properties": {"verifiablePresentation": obj, "options": {"type": "object", "properties": {
                        "challenge": {"type": "string"}, "domain": {"type": "string"}}}}}}}},
                "responses": {"200": _json(presentation_result, "Verified"),
                              "400": _json(presentation_result, "Not verified")}}},
            "/credentials/issue": {"post": {
                "summary": "Issue a credential as one of the configured issuers of the token's institution",
                "description": "Safe to retry with an Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): "
                               "a retry with the key and the same body (compared as JCS, RFC 8785) answers the "
                               "credential the first request issued, byte for byte, whatever cut the first one "
                               "off; keys are the institution's own and are forgotten 24 hours after their first "
                               "request.",
                "security": bearer,
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "description": "1 to 255 printable ASCII characters (a UUID is best), as an RFC "
                                               "8941 String (\"...\") or a bare value; one field per request",
                                "schema": {"type": "string", "minLength": 1}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["credential"],
                    "properties": {"credential": obj, "options": {"type": "object", "additionalProperties": False,
                                                                  "properties": {
                                                                      "credentialId": {"type": "string"},
                                                                      "credentialStatus": obj}}}}}}},
                "responses": {"201": _json({"type": "object", "properties": {"verifiableCredential": obj}}, "Issued"),
                              "400": _problem(), "401": _problem(), "403": _problem(),
                              "409": {**_problem(), "description": "IDEMPOTENCY_KEY_IN_PROGRESS: the first request "
                                      "with this Idempotency-Key is still being processed; retry it as it is"},
                              "422": {**_problem(), "description": "IDEMPOTENCY_KEY_REUSED: the Idempotency-Key was "
                                      "used with a different body"}}}},
            "/credentials/status": {"post": {
                "summary": "Revoke or suspend (or unsuspend) an issued credential",
                "security": bearer,
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["credentialId"],
                    "properties": {"credentialId": {"type": "string"}, "status": {"type": "boolean"},
                                   "credentialStatus": {"type": "object", "properties": {
                                       "type": {"const": "BitstringStatusListEntry"},
                                       "statusPurpose": {"enum": ["revocation", "suspension"]}}}}}}}},
                "responses": {"200": _json(obj, "Updated"), "400": _problem(), "401": _problem(),
                              "404": _problem()}}},
            "/credentials/{id}": {"get": {
                "summary": "A credential the token's institution issued, as it was signed",
                "description": "The bearer token names one institution: another institution's credential is "
                               "not found, as an unknown one is.",
                "security": bearer, "parameters": [{"$ref": "#/components/parameters/id"}],
                "responses": {"200": _json({"type": "object", "properties": {"verifiableCredential": obj}}, "Found"),
                              "401": _problem(), "403": _problem(), "404": _problem()}}},
            "/verify/fragment": {"post": {
                "summary": "The verifier page's link mode: verify the text of a link's fragment", "parameters": lang,
                "requestBody": {"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}},
                "responses": {"200": _json({"$ref": "#/components/schemas/PageResult"}, "Verdict")}}},
            "/verify/text": {"post": {
                "summary": "Verify pasted JSON, a JWT or a link", "parameters": lang,
                "requestBody": {"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}},
                "responses": {"200": _json({"$ref": "#/components/schemas/PageResult"}, "Verdict")}}},
            "/verify/upload": {"post": {
                "summary": "Verify an uploaded QR image (PNG/JPEG) or credential file", "parameters": lang,
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}},
                "responses": {"200": _json({"$ref": "#/components/schemas/PageResult"}, "Verdict")}}},
            "/shares/challenge": {"post": {
                "summary": "A single-use challenge (and the domain) for the holder's presentation that creates a share",
                "description": "Short-lived and usable once; rate-limited per client address.",
                "responses": {"200": _json({"type": "object", "required": ["challenge", "domain", "expires"],
                                            "properties": {"challenge": {"type": "string"},
                                                           "domain": {"type": "string"},
                                                           "expires": {"type": "string"}}}, "Challenge"),
                              "429": _problem()}}},
            "/shares": {"post": {
                "summary": "Share a credential behind a short link (short-mode QR): only its holder can",
                "description": "presentation: a Data Integrity VerifiablePresentation signed by its holder "
                               "(proofPurpose authentication) over a challenge from /shares/challenge and its "
                               "domain, embedding exactly one credential whose own proof verifies and whose "
                               "credentialSubject.id is the holder. The hosted copy is the credential.",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["presentation"],
                    "properties": {"presentation": obj,
                                   "ttlSeconds": {"type": "integer", "minimum": 60}}}}}},
                "responses": {"201": _json({"type": "object", "properties": {
                    "id": {"type": "string"}, "url": {"type": "string"}, "withdrawToken": {"type": "string"},
                    "expires": {"type": "string"}}}, "Shared"),
                    "400": _problem(), "403": _problem(), "415": _problem(), "429": _problem(),
                    "503": _problem()}}},
            "/shares/{id}": {
                "get": {"summary": "The shared credential", "parameters": [{"$ref": "#/components/parameters/id"}],
                        "responses": {"200": _json(obj, "The shared credential"), "404": _problem()}},
                "delete": {"summary": "Withdraw a share (Authorization: Bearer <withdrawToken>)",
                           "parameters": [{"$ref": "#/components/parameters/id"}],
                           "responses": {"204": {"description": "Withdrawn"}, "401": _problem(),
                                         "403": _problem(), "404": _problem()}}},
            "/s/{id}": {"get": {"summary": "The verifier page for a share",
                                "parameters": [{"$ref": "#/components/parameters/id"}],
                                "responses": {"200": {"description": "HTML page"}}}},
            "/status/{name}": {"get": {"summary": "A hosted BitstringStatusListCredential",
                                       "parameters": [{"name": "name", "in": "path", "required": True,
                                                       "schema": {"type": "string"}}],
                                       "responses": {"200": _json(obj, "Status list credential"),
                                                     "404": _problem()}}},
            "/registry.json": {"get": {"summary": "The ministry's signed registry (when hosted here)",
                                       "responses": {"200": _json(obj, "Registry"), "404": _problem()}}},
            "/.well-known/did.json": {"get": {"summary": "The did:web document (when hosted here)",
                                              "responses": {"200": _json(obj, "DID document"),
                                                            "404": _problem()}}},
            "/.well-known/openid-federation": {"get": {
                "summary": "The ministry's OpenID Federation entity configuration (when the registry forms are "
                           "hosted here; docs/registry-forms.md)",
                "responses": {"200": {"description": "Entity statement (ES256 JWT)",
                                      "content": {"application/entity-statement+jwt": {"schema": {"type": "string"}}}},
                              "404": _problem()}}},
            "/fetch": {"get": {
                "summary": "The subordinate statement of one authorized issuer DID",
                "parameters": [{"name": "sub", "in": "query", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "Entity statement (ES256 JWT)",
                                      "content": {"application/entity-statement+jwt": {"schema": {"type": "string"}}}},
                              "400": _problem(), "404": _problem()}}},
            "/subordinate_listing": {"get": {"summary": "The issuer DIDs the ministry authorizes now",
                                             "responses": {"200": _json({"type": "array"}, "DIDs"),
                                                           "404": _problem()}}},
            "/dcc-legacy-registry.json": {"get": {"summary": "The same registry in DCC's legacy registry form",
                                                  "responses": {"200": _json(obj, "Legacy registry"),
                                                                "404": _problem()}}},
            # credential offers (when the institution makes them; docs/wallets.md)
            "/exchanges/{offer}/lcw": {"post": {
                "summary": "The Learner Credential Wallet's deep link (vc_request_url): a DIDAuthentication "
                           "presentation over the link's challenge; answers the OMC issued to its holder",
                "parameters": [_path("offer")], "requestBody": _body(obj),
                "responses": {"200": _json(obj, "The signed credential"), "400": _problem(), "403": _problem(),
                              "404": _problem(), "409": _problem(), "410": _problem(), "413": _problem()}}},
            "/exchanges/{offer}/vcapi/{secret}": {
                "get": {"summary": "The offer's VC-API interaction URL (?iuv=1): its protocols",
                        "parameters": [_path("offer"), _path("secret")],
                        "responses": {"200": _json(obj, "{protocols: {vcapi}}"), "404": _problem(),
                                      "409": _problem(), "410": _problem()}},
                "post": {"summary": "The VC-API exchange: {} answers a DIDAuthentication request; "
                                    "{verifiablePresentation} answers the OMC in a presentation",
                         "parameters": [_path("offer"), _path("secret")], "requestBody": _body(obj),
                         "responses": {"200": _json(obj, "A presentation request, or the credential"),
                                       "400": _problem(), "403": _problem(), "404": _problem(),
                                       "409": _problem(), "410": _problem(), "413": _problem()}}},
            # the same offers through OpenID4VCI 1.0, pre-authorized code flow (docs/wallets.md)
            "/.well-known/openid-credential-issuer": {"get": {
                "summary": "OpenID4VCI credential issuer metadata (ldp_vc and jwt_vc_json OMCs)",
                "responses": {"200": _json(obj, "Credential issuer metadata")}}},
            "/.well-known/oauth-authorization-server": {"get": {
                "summary": "RFC 8414 metadata: the pre-authorized code grant's token endpoint",
                "responses": {"200": _json(obj, "Authorization server metadata")}}},
            "/oid4vci/credential-offer/{code}": {"get": {
                "summary": "A credential offer by reference (credential_offer_uri), while its code is unused",
                "parameters": [_path("code")],
                "responses": {"200": _json(obj, "Credential offer"), "404": _oauth_error()}}},
            "/oid4vci/token": {"post": {
                "summary": "Token request: grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code, "
                           "pre-authorized_code, and tx_code when the offer asks for one",
                "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "required": ["grant_type", "pre-authorized_code"], "properties": {
                        "grant_type": {"type": "string"}, "pre-authorized_code": {"type": "string"},
                        "tx_code": {"type": "string"}}}}}},
                "responses": {"200": _json(obj, "{access_token, token_type: Bearer, expires_in}"),
                              "400": _oauth_error()}}},
            "/oid4vci/nonce": {"post": {
                "summary": "A fresh single-use c_nonce for a key proof",
                "responses": {"200": _json(obj, "{c_nonce}"), "429": _oauth_error()}}},
            "/oid4vci/credential": {"post": {
                "summary": "Credential request: credential_configuration_id and one jwt proof of the holder key",
                "security": bearer, "requestBody": _body(obj),
                "responses": {"200": _json(obj, "{credentials: [{credential}]}"), "400": _oauth_error(),
                              "401": _oauth_error()}}},
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "parameters": {"id": {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}},
            "schemas": {
                "Problem": {"type": "object", "properties": {"type": {"type": "string"}, "code": {"type": "string"},
                                                             "title": {"type": "string"},
                                                             "detail": {"type": "string"}}},
                "VerifyResult": {
                    "type": "object", "required": ["verified", "errors"],
                    "description": "The W3C fields. A service in demo mode adds a DEMO_MODE problem detail to "
                                   "warnings and problemDetails.",
                    "properties": {
                        "verified": {"type": "boolean"}, "checks": {"type": "array", "items": {"type": "string"}},
                        "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}},
                        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}},
                        "problemDetails": {"type": "array"}, "results": {"type": "array"}}},
                "PresentationVerifyResult": {"allOf": [verify_result, {"type": "object", "properties": {
                    "credentialResults": {
                        "type": "array", "description": "Each embedded credential's own result, in order; with "
                                                        "a registry configured, its OMC verdict too.",
                        "items": {"type": "object", "properties": {
                            "verified": {"type": "boolean"}, "checks": {"type": "array", "items": {"type": "string"}},
                            "errors": {"type": "array"}, "verdict": verdict}}},
                    "verdict": {"allOf": [verdict], "description": "With a registry configured (and the full "
                                                                   "checks): the OMC verdict, beside the W3C "
                                                                   "fields, which it does not change."}}}]},
                "Verdict": {"type": "object", "required": ["status", "headline", "reason"], "properties": {
                    "status": {"enum": ["valid-omc", "valid-omc-plus", "valid-not-omc", "invalid"]},
                    "headline": {"type": "string"}, "reason": {"type": "string"},
                    "institution": {"type": ["string", "null"]}, "code": {"type": "string"},
                    "warnings": {"type": "array", "items": {"type": "string"}},
                    "credentials": {"type": "array", "items": {"$ref": "#/components/schemas/Verdict"},
                                    "description": "A presentation's: each credential's own verdict, in order"},
                    "presentation": {"type": "array", "description": "A presentation's own checks (holder, "
                                                                     "challenge, domain) in plain words",
                                     "items": {"type": "object", "properties": {
                                         "name": {"type": "string"}, "label": {"type": "string"},
                                         "status": {"enum": ["passed", "failed", "warning", "skipped"]},
                                         "detail": {"type": "string"}}}}}},
                "Fact": {"type": "object", "required": ["key", "label", "value"], "properties": {
                    "key": {"type": "string"}, "label": {"type": "string"}, "value": {"type": "string"},
                    "long": {"type": "boolean", "description": "an identifier (DID, URN) the page wraps anywhere"},
                    "lang": {"type": "string", "description": "the language (BCP 47) of a credential's own "
                                                              "words (the achievement's inLanguage, or the other "
                                                              "edition's)"}}},
                "PageResult": {"type": "object", "properties": {
                    "verified": {"type": "boolean"},
                    "verdict": {"oneOf": [verdict, {
                        "type": "object", "required": ["status", "headline", "reason"],
                        "description": "share-unavailable: a short-mode share the learner withdrew or that expired "
                                       "(nothing is said against the credential); unreadable: input that is not a "
                                       "credential at all (the reason says what was expected)",
                        "properties": {"status": {"enum": ["share-unavailable", "unreadable"]},
                                       "code": {"type": "string"},
                                       "headline": {"type": "string"}, "reason": {"type": "string"},
                                       "institution": {"type": "null"}}}]},
                    "summary": obj, "facts": facts,
                    "targets": {"type": "array", "items": {"type": "object", "properties": {
                        "name": {"type": "string"}, "awardedBy": {"type": ["string", "null"]},
                        "credit": {"type": ["string", "null"]}}}},
                    "credentials": {"type": "array", "description": "A presentation of several credentials: a "
                                                                    "card per credential",
                                    "items": {"type": "object", "properties": {
                                        "verified": {"type": "boolean"}, "verdict": verdict, "summary": obj,
                                        "facts": facts, "checks": {"type": "array"}}}},
                    "checks": {"type": "array", "items": {"type": "object", "properties": {
                        "name": {"type": "string"}, "label": {"type": "string", "description": "the check's name in "
                                                                                             "the reader's words"},
                        "status": {"enum": ["passed", "failed", "warning", "skipped"]},
                        "detail": {"type": "string"}, "code": {"type": "string"}}}},
                    "warnings": {"type": "array", "items": {"type": "string"}},
                    "language": {"enum": ["en-CA", "fr-CA"], "description": "the language of the answer's words "
                                 "(the lang query parameter, else Accept-Language); codes, statuses and keys are "
                                 "the same in every language"},
                    "checkedAt": {"type": "string", "format": "date-time"},
                    "demo": {"type": "boolean", "description": "the service runs in demo mode"},
                    "registry": {"type": ["object", "null"], "description": "the ministry's registry the OMC "
                                 "checks consult (null in plain mode or when it cannot be read)",
                                 "properties": {"id": {"type": "string"}, "version": {"type": "integer"},
                                                "validFrom": {"type": "string"}, "validUntil": {"type": "string"},
                                                "issuer": {"type": "string"}, "name": {"type": "string"},
                                                "ministry": {"type": "string"}}},
                    "about": {"allOf": [facts], "description": "the check's own facts to show: its time and the "
                                                               "registry's publisher, version and dates"}}},
            },
        },
    }
