#!/usr/bin/env node
// Interop harness: an independent implementation (Digital Bazaar's Data Integrity libraries, and
// panva's `jose` for JWTs) driven by tests/interop/test_interop_js.py.
//
// Usage: node interop.mjs <command>   (one JSON object on stdin, one JSON object on stdout)
//
//   generate-key {type: "Ed25519"|"P-256"|"P-384"} (Digital Bazaar Multikey libraries)
//       -> {publicKeyMultibase, secretKeyMultibase, did, verificationMethod, publicJwk, privateJwk}
//       (privateJwk is as ed25519-multikey 1.3.1 exports it: for Ed25519 its `d` is 64 bytes, seed||public,
//       which RFC 8037 does not allow and jose refuses; use generate-jwk for JOSE keys)
//   generate-jwk {alg: "EdDSA"|"ES256"}         (jose; did:key derived with the Multikey libraries)
//       -> {publicJwk, privateJwk, publicKeyMultibase, did, verificationMethod}
//   sign-di      {credential, cryptosuite, secretKeyMultibase, publicKeyMultibase,
//                 verificationMethod?, created?, didDocuments?}
//       -> {document, loaded}
//   verify-di    {document, didDocuments?, now?}
//       -> {verified, allProofsVerified, proofs: [{id, cryptosuite, verified, error}], error, loaded}
//   sign-vp      {presentation, cryptosuite, secretKeyMultibase, publicKeyMultibase, challenge, domain?,
//                 verificationMethod?, created?, didDocuments?}   (proofPurpose authentication)
//       -> {document, loaded}
//   verify-vp    {document, challenge, domain?, didDocuments?, now?}
//       -> {verified, allProofsVerified, presentationVerified, credentials: [bool], error, loaded}
//   sign-jwt     {credential, privateJwk, kid, alg: "EdDSA"|"ES256"}
//       -> {jwt}
//   verify-jwt   {jwt, publicJwk?, alg?}   (no publicJwk: the key is resolved from the did:key kid)
//       -> {verified, header, payload, publicJwk, error}
//   canonize     {document}  -> {nquads}   (RDFC-1.0 N-Quads exactly as the rdfc cryptosuites compute them)
//   check-status {document, lists: {url: signed BitstringStatusListCredential}, didDocuments?}
//       -> {verified, statusVerified, statuses: [{purpose, index, status}], error, loaded}
//       (@digitalbazaar/vc-bitstring-status-list checkStatus inside vc.verifyCredential: the list is
//       verified and the bit at each entry's statusListIndex returned; the library leaves the verdict to
//       its caller, so `verified` stays true for a revoked credential)
//   dcc-verify   {credentials: [...], knownDIDRegistries?: [...], hosts?: {origin: loopback origin},
//                 documents?: {url: JSON}}
//       -> {results: [{log: {step: valid}, stepErrors: {step: name}, registeredIssuer, errors, schema}],
//           fetched, refused}
//       (DCC's @digitalcredentials/verifier-core `verifyCredential`, what VerifierPlus and the Learner
//       Credential Wallet run, under the fetch guard below; `log` is its verification log by step id:
//       valid_signature, revocation_status, expiration, registered_issuer)
//   batch        [{command, input}, ...] -> [output, ...]   (one process, several commands)
//
// The document loader is OFFLINE. It serves only:
//   * the context files listed in ../../../contexts/manifest.json (sha256-checked at start-up);
//   * did:key DIDs and DID URLs, through Digital Bazaar's did:key driver (Ed25519, P-256, P-384 Multikey);
//   * did:web DIDs and DID URLs from documents passed in the input (`didDocuments`).
//   * status list credentials passed in the input (`lists`, check-status only).
// Everything else is refused with an error. No network fallback is installed. (jsonld-signatures
// always consults its two bundled security contexts, https://w3id.org/security/v1 and /v2, first;
// `loaded` lists every URL *this* loader served so the caller can check what was used.)
//
// verifier-core has its own document loader (its bundled contexts, then the network) and fetches status
// lists, did:web documents, JSON Schemas and registries with the global `fetch`. That `fetch` is replaced,
// for every command, by a guard (`guardedFetch`) that serves the manifest's contexts from contexts/, the
// `documents` passed to dcc-verify, and loopback URLs (127.0.0.1, ::1, localhost): a URL whose origin is a
// key of dcc-verify's `hosts` is sent to that loopback origin instead (a test's /etc/hosts). Anything else
// is refused, so no command can reach the internet.

import {createHash} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {cryptosuite as ecdsaRdfc2019} from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import {CachedResolver} from '@digitalbazaar/did-io';
import * as didKey from '@digitalbazaar/did-method-key';
import * as jose from 'jose';
import {checkStatus as checkBitstringStatus} from '@digitalbazaar/vc-bitstring-status-list';

const HERE = dirname(fileURLToPath(import.meta.url));
const CONTEXTS_DIR = resolve(HERE, '..', '..', '..', 'contexts');

// --- contexts ----------------------------------------------------------------------------------------

function loadContexts() {
  const manifest = JSON.parse(readFileSync(join(CONTEXTS_DIR, 'manifest.json'), 'utf8'));
  const contexts = new Map();
  for(const {url, file, sha256} of manifest) {
    const bytes = readFileSync(join(CONTEXTS_DIR, file));
    const digest = createHash('sha256').update(bytes).digest('hex');
    if(sha256 && digest !== sha256) {
      throw new Error(`contexts/${file}: sha256 ${digest} does not match the manifest (${sha256})`);
    }
    contexts.set(url, JSON.parse(bytes.toString('utf8')));
  }
  return contexts;
}

const CONTEXTS = loadContexts();

// --- the fetch guard (verifier-core; see the header) -------------------------------------------------

const realFetch = globalThis.fetch;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
const fetchRoutes = {hosts: new Map(), documents: new Map(), fetched: [], refused: []};

function isLoopback(url) {
  return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTS.has(url.hostname);
}

function jsonResponse(document, type = 'application/ld+json') {
  return new Response(typeof document === 'string' ? document : JSON.stringify(document),
    {status: 200, headers: {'content-type': type}});
}

async function guardedFetch(input, init = {}) {
  const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const method = (init.method || (typeof input === 'object' && input.method) || 'GET').toUpperCase();
  if(CONTEXTS.has(href)) {
    fetchRoutes.fetched.push(href);
    return jsonResponse(CONTEXTS.get(href));
  }
  if(fetchRoutes.documents.has(href)) {
    fetchRoutes.fetched.push(href);
    return jsonResponse(fetchRoutes.documents.get(href), 'application/json');
  }
  let url = new URL(href);
  const mapped = fetchRoutes.hosts.get(url.origin);
  if(mapped) {
    url = new URL(url.pathname + url.search, mapped);
  }
  if(method !== 'GET' || !isLoopback(url)) {
    fetchRoutes.refused.push(href);
    throw new TypeError(`offline fetch guard refuses ${method} ${href}`);
  }
  fetchRoutes.fetched.push(href);
  const headers = init.headers || (typeof input === 'object' && !(input instanceof URL) ? input.headers : undefined);
  return realFetch(url.href, {method: 'GET', headers, redirect: 'manual'});
}

globalThis.fetch = guardedFetch;
// verifier-core and its registry client log to the console: keep stdout for the one JSON answer
console.log = console.info = console.warn = (...args) => console.error(...args);

// --- DIDs --------------------------------------------------------------------------------------------

const didKeyDriver = didKey.driver();
didKeyDriver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
didKeyDriver.use({multibaseMultikeyHeader: 'zDna', fromMultibase: EcdsaMultikey.from});
didKeyDriver.use({multibaseMultikeyHeader: 'z82L', fromMultibase: EcdsaMultikey.from});
const didResolver = new CachedResolver();
didResolver.use(didKeyDriver);

function findInDidWeb(didDocuments, url) {
  const [did, fragment] = url.split('#');
  const doc = didDocuments.get(did);
  if(!doc) {
    throw new Error(`offline loader: no DID document was supplied for ${did}`);
  }
  if(fragment === undefined) {
    return structuredClone(doc);
  }
  const candidates = [];
  for(const key of ['verificationMethod', 'assertionMethod', 'authentication']) {
    for(const entry of [].concat(doc[key] || [])) {
      if(entry && typeof entry === 'object') {
        candidates.push(entry);
      }
    }
  }
  const method = candidates.find(
    vm => vm.id === url || (vm.id && vm.id.startsWith('#') && did + vm.id === url));
  if(!method) {
    throw new Error(`offline loader: ${url} is not a verification method of ${did}`);
  }
  return {'@context': doc['@context'], ...structuredClone(method), id: url};
}

function makeDocumentLoader(didDocuments = {}, documents = {}) {
  const webDocs = new Map(
    (Array.isArray(didDocuments) ? didDocuments : Object.values(didDocuments))
      .map(doc => [doc.id, doc]));
  const loaded = [];
  const documentLoader = async url => {
    let document;
    if(CONTEXTS.has(url)) {
      document = structuredClone(CONTEXTS.get(url));
    } else if(url.startsWith('did:key:')) {
      document = await didResolver.get({url});
    } else if(url.startsWith('did:web:')) {
      document = findInDidWeb(webDocs, url);
    } else if(Object.hasOwn(documents, url)) {
      document = structuredClone(documents[url]);
    } else {
      throw new Error(`offline loader refuses to load ${url}`);
    }
    loaded.push(url);
    return {contextUrl: null, documentUrl: url, document};
  };
  return {documentLoader, loaded};
}

// --- keys --------------------------------------------------------------------------------------------

function keyLibraryFor(publicKeyMultibase) {
  if(publicKeyMultibase.startsWith('z6Mk')) {
    return Ed25519Multikey;
  }
  if(publicKeyMultibase.startsWith('zDna') || publicKeyMultibase.startsWith('z82L')) {
    return EcdsaMultikey;
  }
  throw new Error(`unsupported publicKeyMultibase ${publicKeyMultibase}`);
}

async function generateKey({type}) {
  let keyPair;
  if(type === 'Ed25519') {
    keyPair = await Ed25519Multikey.generate();
  } else if(type === 'P-256' || type === 'P-384') {
    keyPair = await EcdsaMultikey.generate({curve: type});
  } else {
    throw new Error(`unknown key type ${type}`);
  }
  const {publicKeyMultibase, secretKeyMultibase} = await keyPair.export(
    {publicKey: true, secretKey: true});
  const library = type === 'Ed25519' ? Ed25519Multikey : EcdsaMultikey;
  const did = `did:key:${publicKeyMultibase}`;
  return {
    publicKeyMultibase,
    secretKeyMultibase,
    did,
    verificationMethod: `${did}#${publicKeyMultibase}`,
    publicJwk: await library.toJwk({keyPair}),
    privateJwk: await library.toJwk({keyPair, secretKey: true})
  };
}

async function generateJwk({alg}) {
  if(!['EdDSA', 'ES256'].includes(alg)) {
    throw new Error(`unsupported JOSE alg ${alg}`);
  }
  const {publicKey, privateKey} = await jose.generateKeyPair(alg, {extractable: true});
  const publicJwk = await jose.exportJWK(publicKey);
  const privateJwk = await jose.exportJWK(privateKey);
  const library = alg === 'EdDSA' ? Ed25519Multikey : EcdsaMultikey;
  const keyPair = await library.fromJwk({jwk: publicJwk});
  const {publicKeyMultibase} = await keyPair.export({publicKey: true});
  const did = `did:key:${publicKeyMultibase}`;
  return {publicJwk, privateJwk, publicKeyMultibase, did, verificationMethod: `${did}#${publicKeyMultibase}`};
}

async function importKeyPair({publicKeyMultibase, secretKeyMultibase, verificationMethod}) {
  const did = `did:key:${publicKeyMultibase}`;
  const id = verificationMethod || `${did}#${publicKeyMultibase}`;
  const controller = id.split('#')[0];
  return keyLibraryFor(publicKeyMultibase).from({
    '@context': 'https://w3id.org/security/multikey/v1',
    type: 'Multikey',
    id,
    controller,
    publicKeyMultibase,
    secretKeyMultibase
  });
}

// --- Data Integrity ----------------------------------------------------------------------------------

const CRYPTOSUITES = {
  'eddsa-rdfc-2022': eddsaRdfc2022,
  'ecdsa-rdfc-2019': ecdsaRdfc2019
};

async function signDi(input) {
  const cryptosuite = CRYPTOSUITES[input.cryptosuite];
  if(!cryptosuite) {
    throw new Error(`unsupported cryptosuite ${input.cryptosuite}`);
  }
  const keyPair = await importKeyPair(input);
  const suite = new DataIntegrityProof({
    signer: keyPair.signer(),
    cryptosuite,
    date: input.created
  });
  const {documentLoader, loaded} = makeDocumentLoader(input.didDocuments);
  const document = await vc.issue({
    credential: structuredClone(input.credential),
    suite,
    documentLoader
  });
  return {document, loaded};
}

function serializeError(error) {
  if(!error) {
    return null;
  }
  if(Array.isArray(error)) {
    return error.map(serializeError).join('; ');
  }
  const nested = error.errors ? ` [${serializeError(error.errors)}]` : '';
  // jsonld.js wraps document-loader failures; keep the loader's own message
  const cause = error.details?.cause || error.cause;
  const because = cause ? ` (cause: ${serializeError(cause)})` : '';
  return `${error.name || 'Error'}: ${error.message}${because}${nested}`;
}

async function verifyDi(input) {
  const {documentLoader, loaded} = makeDocumentLoader(input.didDocuments);
  const suite = [
    new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
    new DataIntegrityProof({cryptosuite: ecdsaRdfc2019})
  ];
  const options = {credential: input.document, suite, documentLoader};
  if(input.now) {
    options.now = input.now;
  }
  if(input.document && input.document.credentialStatus) {
    // Status lists are out of scope here (they need the network): only the proof is checked.
    options.checkStatus = async () => ({verified: true});
  }
  const result = await vc.verifyCredential(options);
  // jsonld-signatures reports `verified: true` when at least ONE proof of a proof set verifies
  // (ProofSet.verify: `results.some(r => r.verified)`); DI 1.0 §4.5 requires all of them, so the
  // per-proof outcomes are returned too and `allProofsVerified` is what callers should check.
  const proofs = (result.results || []).map(r => ({
    id: r.proof?.id ?? null,
    cryptosuite: r.proof?.cryptosuite ?? null,
    verified: r.verified === true,
    error: serializeError(r.error)
  }));
  const error = result.error || (result.results || []).find(r => r.error)?.error;
  return {
    verified: result.verified === true,
    allProofsVerified: result.verified === true && proofs.length > 0 && proofs.every(r => r.verified),
    proofs,
    error: serializeError(error),
    loaded
  };
}

async function checkStatus(input) {
  const {documentLoader, loaded} = makeDocumentLoader(input.didDocuments, input.lists || {});
  const suite = [
    new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
    new DataIntegrityProof({cryptosuite: ecdsaRdfc2019})
  ];
  const result = await vc.verifyCredential({
    credential: input.document, suite, documentLoader, checkStatus: checkBitstringStatus
  });
  const statusResult = result.statusResult || {};
  return {
    verified: result.verified === true,
    statusVerified: statusResult.verified ?? null,
    statuses: (statusResult.results || []).map(r => ({
      purpose: r.credentialStatus?.statusPurpose ?? null,
      index: r.credentialStatus?.statusListIndex ?? null,
      status: r.status ?? null
    })),
    error: serializeError(statusResult.error || result.error),
    loaded
  };
}

async function canonizeDocument({document, didDocuments}) {
  const {documentLoader, loaded} = makeDocumentLoader(didDocuments);
  const nquads = await eddsaRdfc2022.canonize(document, {documentLoader});
  return {nquads, loaded};
}

async function signVp(input) {
  const cryptosuite = CRYPTOSUITES[input.cryptosuite];
  if(!cryptosuite) {
    throw new Error(`unsupported cryptosuite ${input.cryptosuite}`);
  }
  const keyPair = await importKeyPair(input);
  const suite = new DataIntegrityProof({signer: keyPair.signer(), cryptosuite, date: input.created});
  const {documentLoader, loaded} = makeDocumentLoader(input.didDocuments);
  const document = await vc.signPresentation({
    presentation: structuredClone(input.presentation),
    suite,
    challenge: input.challenge,
    domain: input.domain,
    documentLoader
  });
  return {document, loaded};
}

function allVerified(outcome) {
  return outcome?.verified === true && (outcome.results || []).length > 0 &&
    outcome.results.every(r => r.verified === true);
}

async function verifyVp(input) {
  const {documentLoader, loaded} = makeDocumentLoader(input.didDocuments);
  const suite = [
    new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
    new DataIntegrityProof({cryptosuite: ecdsaRdfc2019})
  ];
  const options = {
    presentation: input.document, suite, documentLoader, challenge: input.challenge, domain: input.domain
  };
  if(input.now) {
    options.now = input.now;
  }
  const result = await vc.verify(options);
  const credentials = (result.credentialResults || []).map(allVerified);
  const presentationVerified = allVerified(result.presentationResult);
  return {
    verified: result.verified === true,
    allProofsVerified: result.verified === true && presentationVerified && credentials.every(Boolean),
    presentationVerified,
    credentials,
    error: serializeError(result.error || result.presentationResult?.error),
    loaded
  };
}

// --- VC-JWT (panva/jose) -----------------------------------------------------------------------------

async function signJwt({credential, privateJwk, kid, alg}) {
  const key = await jose.importJWK(privateJwk, alg);
  const payload = new TextEncoder().encode(JSON.stringify(credential));
  const jwt = await new jose.CompactSign(payload)
    .setProtectedHeader({alg, kid, typ: 'vc+jwt'})
    .sign(key);
  return {jwt};
}

async function jwkFromKid(kid) {
  const method = await didResolver.get({url: kid});
  const keyPair = await keyLibraryFor(method.publicKeyMultibase).from(method);
  return keyLibraryFor(method.publicKeyMultibase).toJwk({keyPair});
}

async function verifyJwt({jwt, publicJwk, alg}) {
  let header;
  try {
    header = jose.decodeProtectedHeader(jwt);
    const jwk = publicJwk || await jwkFromKid(header.kid);
    const algorithms = [alg || (jwk.kty === 'OKP' ? 'EdDSA' : 'ES256')];
    const key = await jose.importJWK(jwk, algorithms[0]);
    const {payload, protectedHeader} = await jose.compactVerify(jwt, key, {algorithms});
    return {
      verified: true,
      header: protectedHeader,
      payload: JSON.parse(new TextDecoder().decode(payload)),
      publicJwk: jwk,
      error: null
    };
  } catch(error) {
    return {verified: false, header: header || null, payload: null, publicJwk: publicJwk || null,
      error: serializeError(error)};
  }
}

// --- DCC's verifier-core ------------------------------------------------------------------------------

function routeFetches({hosts = {}, documents = {}}) {
  fetchRoutes.hosts = new Map();
  for(const [origin, target] of Object.entries(hosts)) {
    const loopback = new URL(target);
    if(!isLoopback(loopback)) {
      throw new Error(`hosts: ${origin} must map to a loopback origin, not ${target}`);
    }
    fetchRoutes.hosts.set(new URL(origin).origin, loopback.origin);
  }
  fetchRoutes.documents = new Map(Object.entries(documents));
  fetchRoutes.fetched = [];
  fetchRoutes.refused = [];
}

function summarizeSchema(additionalInformation = []) {
  const entry = additionalInformation.find(item => item.id === 'schema_check');
  if(!entry || !Array.isArray(entry.results)) {
    return entry ? {results: entry.results} : null;
  }
  return {results: entry.results.map(({schema, result}) => ({
    schema,
    valid: result?.valid === true,
    errors: (result?.errors || []).map(e => `${e.instancePath} ${e.keyword} ${e.message}`)
  }))};
}

async function dccVerify(input) {
  const {verifyCredential} = await import('@digitalcredentials/verifier-core');
  routeFetches(input);
  const results = [];
  for(const credential of input.credentials) {
    const response = await verifyCredential({
      credential: structuredClone(credential),
      knownDIDRegistries: input.knownDIDRegistries || []
    });
    const log = Object.fromEntries((response.log || []).filter(step => !step.error)
      .map(step => [step.id, step.valid]));
    // a step verifier-core could not complete carries an error instead of `valid` (a status list not found)
    const stepErrors = Object.fromEntries((response.log || []).filter(step => step.error)
      .map(step => [step.id, step.error.name]));
    const registered = (response.log || []).find(step => step.id === 'registered_issuer');
    results.push({
      log,
      stepErrors,
      registeredIssuer: registered ? {
        valid: registered.valid,
        matchingIssuers: registered.matchingIssuers,
        uncheckedRegistries: registered.uncheckedRegistries
      } : null,
      errors: (response.errors || []).map(e => ({name: e.name, message: e.message})),
      schema: summarizeSchema(response.additionalInformation)
    });
  }
  return {results, fetched: fetchRoutes.fetched, refused: fetchRoutes.refused};
}

// --- main --------------------------------------------------------------------------------------------

async function batch(items) {
  const outputs = [];
  for(const {command, input} of items) {
    if(!COMMANDS[command] || command === 'batch') {
      throw new Error(`unknown command in batch: ${command}`);
    }
    outputs.push(await COMMANDS[command](input));
  }
  return outputs;
}

const COMMANDS = {
  batch,
  'generate-key': generateKey,
  'generate-jwk': generateJwk,
  'sign-di': signDi,
  'verify-di': verifyDi,
  canonize: canonizeDocument,
  'check-status': checkStatus,
  'sign-vp': signVp,
  'verify-vp': verifyVp,
  'sign-jwt': signJwt,
  'verify-jwt': verifyJwt,
  'dcc-verify': dccVerify
};

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return text ? JSON.parse(text) : {};
}

async function main() {
  const command = COMMANDS[process.argv[2]];
  if(!command) {
    process.stderr.write(`usage: node interop.mjs {${Object.keys(COMMANDS).join('|')}} < input.json\n`);
    process.exit(2);
  }
  try {
    const output = await command(await readStdin());
    process.stdout.write(JSON.stringify(output) + '\n');
  } catch(error) {
    process.stderr.write(`${serializeError(error)}\n${error.stack || ''}\n`);
    process.exit(1);
  }
}

await main();
