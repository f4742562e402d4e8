#!/usr/bin/env node
// An emulator of the Learner Credential Wallet (openwallet-foundation-labs/learner-credential-wallet) receiving
// a credential, built on the libraries LCW itself uses, at the versions its lock file pins:
// @digitalcredentials/vc, ed25519-signature-2020, ed25519-verification-key-2020, did-method-key,
// security-document-loader, query-string and html-entities. Driven by tests/interop/test_interop_lcw.py.
//
// Usage: node lcw-emulator.mjs   (one JSON object on stdin, one JSON object on stdout)
//
//   {links: ["https://lcw.app/request.html?...", "https://.../exchanges/...?iuv=1", ...]}
//   -> {did, runs: [{link, flow, requests: [{method, url, status, body}], presentations: [...],
//                    acceptCredentials: [...], storedByLcw: [...], error}]}
//
// One wallet profile (a did:key minted as LCW's app/lib/did.ts mintDid does) receives every link in turn,
// each following LCW's own sequence:
//
// * deep link (app/lib/deepLinkConfig.ts, decode.ts isLegacyCredentialRequest / legacyRequestParamsFromUrl,
//   credentialRequest.ts requestCredential, present.ts createVerifiablePresentation): the query parsed with
//   query-string; auth_type must be 'bearer'; a presentation with the profile's DID as holder, no credentials,
//   signed with Ed25519Signature2020 (proofPurpose authentication, the link's challenge, no domain) is POSTed as
//   JSON to vc_request_url; a non-ok answer is a failure; the body is HTML-entity decoded then parsed
//   (parseResponse.ts); the credentials are taken from it (verifiableObject.ts extractCredentialsFrom) and
//   stored.
// * interaction URL (interactionUrl.ts isInteractionUrl / parseInteractionUrl / fetchInteractionProtocols,
//   navigationUtil.ts redirectInteractionUrl, screens/ExchangeCredentials runExchange, exchanges.ts
//   processMessageChain / processRequest / sendToExchanger, composeVp.ts): GET the URL with Accept JSON; take
//   protocols.vcapi; POST {} to it; an answer with verifiablePresentation is an offer (its credentials are
//   accepted); one with verifiablePresentationRequest whose query asks for DIDAuthentication gets a signed
//   presentation (challenge AND domain required) POSTed to the same exchange URL as
//   {verifiablePresentation}, and the credentials of the answer's verifiablePresentation are accepted.
//   `storedByLcw` is what runExchange then stores: nothing in a presentation-request flow (its
//   `!isVPRFlow && acceptCredentials` condition: LCW issue #957), the accepted credentials otherwise.
//
// The emulator only reaches loopback addresses (127.0.0.1, ::1, localhost); contexts come from
// security-document-loader's bundled copies (fetchRemoteContexts: false; LCW itself passes true).

import {randomBytes} from 'node:crypto';

import * as vc from '@digitalcredentials/vc';
import * as DidMethodKey from '@digitalcredentials/did-method-key';
import {Ed25519Signature2020} from '@digitalcredentials/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from '@digitalcredentials/ed25519-verification-key-2020';
import {securityLoader} from '@digitalcredentials/security-document-loader';
import * as HtmlEntities from 'html-entities';
import qs from 'query-string';

const documentLoader = securityLoader({fetchRemoteContexts: false}).build();

// --- the network: loopback only, every request recorded ----------------------------------------------

const realFetch = globalThis.fetch;
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);
let requests = [];

async function lcwFetch(href, init = {}) {
  const url = new URL(href);
  const method = (init.method || 'GET').toUpperCase();
  if(!LOOPBACK.has(url.hostname)) {
    requests.push({method, url: href, status: null, body: null});
    throw new TypeError(`emulator refuses to reach ${href} (loopback only)`);
  }
  const response = await realFetch(href, {...init, redirect: 'manual'});
  const text = await response.text();
  requests.push({method, url: href, status: response.status, body: text.slice(0, 2000)});
  // hand back a Response that can be read again, as LCW reads it once
  return new Response(text, {status: response.status, statusText: response.statusText, headers: response.headers});
}

console.log = console.info = console.warn = (...args) => console.error(...args);

// --- the profile: mintDid (app/lib/did.ts) ---------------------------------------------------------------

async function mintDid() {
  const didKeyDriver = DidMethodKey.driver();
  didKeyDriver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519VerificationKey2020.from});
  const verificationKeyPair = await Ed25519VerificationKey2020.generate({seed: new Uint8Array(randomBytes(32))});
  const {didDocument} = await didKeyDriver.fromKeyPair({verificationKeyPair});
  verificationKeyPair.controller = didDocument.id;
  verificationKeyPair.id = `${didDocument.id}#${verificationKeyPair.fingerprint()}`;
  return {didDocument, verificationKey: verificationKeyPair.export({publicKey: true, privateKey: true})};
}

// --- shared pieces -------------------------------------------------------------------------------------

// verifiableObject.ts extractCredentialsFrom
function extractCredentialsFrom(obj) {
  const types = obj && [].concat(obj.type || []);
  if(types && types.includes('VerifiableCredential')) {
    return [obj];
  }
  if(types && types.includes('VerifiablePresentation') && 'verifiableCredential' in obj) {
    return Array.isArray(obj.verifiableCredential) ? obj.verifiableCredential : [obj.verifiableCredential];
  }
  return null;
}

// present.ts createVerifiablePresentation (no credentials: DID authentication)
async function createVerifiablePresentation({didRecord, challenge}) {
  const verificationKeyPair = await Ed25519VerificationKey2020.from(didRecord.verificationKey);
  const suite = new Ed25519Signature2020({key: verificationKeyPair});
  const presentation = vc.createPresentation({holder: didRecord.didDocument.id, verify: false});
  return vc.signPresentation({presentation, suite, challenge, documentLoader});
}

// composeVp.ts composeVp (a DIDAuthentication request, no matching credentials)
async function composeVp({didRecord, challenge, domain}) {
  if(!(challenge && domain)) {
    throw new Error('Both "challenge" and "domain" are required for DID Auth.');
  }
  const key = await Ed25519VerificationKey2020.from(didRecord.verificationKey);
  const presentation = await vc.createPresentation({holder: didRecord.didDocument.id, verify: false});
  return vc.signPresentation({presentation, challenge, domain, documentLoader,
    suite: new Ed25519Signature2020({signer: key.signer()})});
}

// --- the deep link (credentialRequest.ts requestCredential) -------------------------------------------------

function isLegacyCredentialRequest(url) {
  const isDeepLink = ['dccrequest://', 'org.dcconsortium://', 'https://lcw.app/request', 'interaction:']
    .some(prefix => url.startsWith(prefix)) || url.startsWith('https://lcw.app/mobile');
  if(!isDeepLink) {
    return false;
  }
  const queryParams = qs.parse(url.split('?')[1]);
  return 'vc_request_url' in queryParams && 'issuer' in queryParams;
}

async function requestCredential(params, didRecord, run) {
  const {auth_type = 'code', vc_request_url, challenge} = params;
  if(auth_type !== 'bearer') {
    throw new Error(`Unsupported auth_type value: "${auth_type}".`);
  }
  const requestBody = await createVerifiablePresentation({didRecord, challenge});
  run.presentations.push(requestBody);
  const response = await lcwFetch(vc_request_url, {
    method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(requestBody)
  });
  if(!response.ok) {
    throw new Error('Unable to receive credential: The issuer failed to return a valid response');
  }
  // parseResponse.ts parseResponseBody
  const responseBody = JSON.parse(HtmlEntities.decode(await response.text()));
  const credentials = extractCredentialsFrom(responseBody);
  if(credentials === null) {
    throw new Error('Unable to receive credential: The issuer failed to return a Verifiable Credential (VC) ' +
      'or Verifiable Presentation (VP)');
  }
  return credentials;
}

// --- the interaction URL (VC-API exchange) -----------------------------------------------------------------

function isInteractionUrl(url) {
  if(url.startsWith('interaction:')) {
    return true;
  }
  try {
    return new URL(url).searchParams.has('iuv');
  } catch {
    return false;
  }
}

function parseInteractionUrl(url) {
  if(!url.startsWith('interaction:')) {
    return url;
  }
  const inner = url.slice('interaction:'.length);
  return inner.startsWith('http%3A') || inner.startsWith('https%3A') ? decodeURIComponent(inner) : inner;
}

async function fetchInteractionProtocols(interactionUrl) {
  const response = await lcwFetch(interactionUrl, {headers: {Accept: 'application/json'}});
  if(!response.ok) {
    throw new Error(`Interaction URL fetch failed: ${response.status} ${response.statusText}`);
  }
  const body = await response.json();
  if(!body.protocols || typeof body.protocols !== 'object') {
    throw new Error('Interaction URL response missing "protocols" map.');
  }
  return body.protocols;
}

// exchanges.ts sendToExchanger
async function sendToExchanger({exchangeUrl, payload}) {
  const response = await lcwFetch(exchangeUrl, {
    method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(payload)
  });
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

async function runExchange(message, didRecord, run) {
  const exchangeUrl = message.protocols?.vcapi;
  if(exchangeUrl === undefined) {
    throw new Error('Only the "vcapi" protocol is supported currently.');
  }
  const requestOrOffer = await sendToExchanger({exchangeUrl, payload: {}});
  const isVPRFlow = 'verifiablePresentationRequest' in requestOrOffer;
  // exchanges.ts processMessageChain
  let acceptCredentials;
  if('verifiablePresentation' in requestOrOffer) {
    acceptCredentials = extractCredentialsFrom(requestOrOffer.verifiablePresentation);
  } else if(isVPRFlow) {
    const request = requestOrOffer.verifiablePresentationRequest;
    const queries = Array.isArray(request.query) ? request.query : [request.query];
    const didAuth = queries.filter(q => q.type === 'DIDAuthentication');
    if(didAuth.length > 1) {
      throw new Error('More than one DIDAuthentication request found, exiting.');
    }
    if(didAuth.length === 1) {
      const verifiablePresentation = await composeVp({didRecord, challenge: request.challenge,
        domain: request.domain});
      run.presentations.push(verifiablePresentation);
      const exchangeResponse = await sendToExchanger({exchangeUrl, payload: {verifiablePresentation}});
      if(exchangeResponse?.verifiablePresentation) {
        const found = extractCredentialsFrom(exchangeResponse.verifiablePresentation);
        if(found && found.length > 0) {
          acceptCredentials = found;
        }
      }
    }
  }
  // screens/ExchangeCredentials runExchange: credentials are staged for the user only outside a VPR flow
  const storedByLcw = !isVPRFlow && acceptCredentials ? acceptCredentials : [];
  return {acceptCredentials: acceptCredentials || [], storedByLcw};
}

// --- main ----------------------------------------------------------------------------------------------------

async function receive(link, didRecord) {
  requests = [];
  const run = {link, flow: null, requests, presentations: [], acceptCredentials: [], storedByLcw: [], error: null};
  try {
    if(isLegacyCredentialRequest(link)) {
      run.flow = 'deep-link';
      const params = qs.parse(link.split('?')[1]);
      const credentials = await requestCredential(params, didRecord, run);
      run.acceptCredentials = credentials;
      run.storedByLcw = credentials;
    } else if(isInteractionUrl(link)) {
      run.flow = 'interaction';
      const protocols = await fetchInteractionProtocols(parseInteractionUrl(link));
      if(!protocols.vcapi) {
        throw new Error('No supported protocol found in the interaction response. Only "vcapi" is currently ' +
          'supported.');
      }
      Object.assign(run, await runExchange({protocols: {vcapi: protocols.vcapi}}, didRecord, run));
    } else {
      throw new Error('not a link LCW acts on');
    }
  } catch(error) {
    run.error = String(error && error.message || error);
  }
  run.requests = requests;
  return run;
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const didRecord = await mintDid();
  const runs = [];
  for(const link of input.links) {
    runs.push(await receive(link, didRecord));
  }
  process.stdout.write(JSON.stringify({did: didRecord.didDocument.id, runs}));
}

main().catch(error => {
  console.error(error && error.stack || error);
  process.exit(1);
});
