// An independent OpenID4VCI 1.0 wallet: @openid4vc/openid4vci's Openid4vciClient runs the pre-authorized
// code flow against omc serve, as a wallet built on that library does.
//
// stdin: JSON {"pickups": [{"offer": "openid-credential-offer://...", "configurationId": "...",
//   "keyMethod": "did" | "jwk", "alg": "EdDSA" | "ES256", "txCode": "123456"?, "replayProofOf": INDEX?}]}
// stdout: JSON {"results": [...], "fetched": [...], "refused": [...]}; each result holds what the library
// returned at each step, or the error it raised (with the issuer's error answer when there was one).
//
// Network: only loopback addresses (omc serve on 127.0.0.1); anything else is refused, not sent. The library's
// own https check is relaxed for that (setGlobalConfig allowInsecureUrls), the guard stays.

import {randomBytes, createHash} from 'node:crypto';
import {
  Openid4vciClient,
  Openid4vciRetrieveCredentialsError,
  setGlobalConfig,
} from '@openid4vc/openid4vci';
import {clientAuthenticationAnonymous} from '@openid4vc/oauth2';
import * as jose from 'jose';

setGlobalConfig({allowInsecureUrls: true});

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const fetched = [];
const refused = [];
const realFetch = globalThis.fetch;

async function guardedFetch(input, init = {}) {
  const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const url = new URL(href);
  const method = (init.method || 'GET').toUpperCase();
  if(!LOOPBACK_HOSTS.has(url.hostname)) {
    refused.push(`${method} ${href}`);
    throw new TypeError(`loopback guard refuses ${method} ${href}`);
  }
  fetched.push(`${method} ${url.pathname.startsWith('/oid4vci/credential-offer/') ?
    '/oid4vci/credential-offer/…' : url.pathname}`);
  return realFetch(input, {...init, redirect: 'manual'});
}

// --- keys and did:key --------------------------------------------------------------------------------------

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58btc(bytes) {
  let value = 0n;
  for(const byte of bytes) {
    value = value * 256n + BigInt(byte);
  }
  let out = '';
  while(value > 0n) {
    out = BASE58[Number(value % 58n)] + out;
    value /= 58n;
  }
  for(const byte of bytes) {
    if(byte !== 0) {
      break;
    }
    out = '1' + out;
  }
  return out;
}

async function holderKey({alg, keyMethod}) {
  const {publicKey, privateKey} = await jose.generateKeyPair(alg, {extractable: true});
  const publicJwk = await jose.exportJWK(publicKey);
  if(keyMethod === 'jwk') {
    return {privateKey, signer: {method: 'jwk', alg, publicJwk}, holder: null};
  }
  if(alg !== 'EdDSA') {
    throw new Error('this harness makes did:key holders for Ed25519 only');
  }
  // did:key §3.1: multicodec ed25519-pub (0xed 0x01) + the 32-byte key, base58btc, 'z' multibase prefix
  const raw = Buffer.from(publicJwk.x, 'base64url');
  const multibase = 'z' + base58btc(Buffer.concat([Buffer.from([0xed, 0x01]), raw]));
  const did = `did:key:${multibase}`;
  return {privateKey, signer: {method: 'did', alg, didUrl: `${did}#${multibase}`}, holder: did};
}

function callbacksFor(privateKey) {
  return {
    fetch: guardedFetch,
    generateRandom: async length => new Uint8Array(randomBytes(length)),
    hash: async (data, algorithm) => new Uint8Array(
      createHash(algorithm.toLowerCase().replace('-', '')).update(data).digest()),
    clientAuthentication: clientAuthenticationAnonymous(),
    signJwt: async (signer, {header, payload}) => {
      const jwt = await new jose.SignJWT(payload).setProtectedHeader(header).sign(privateKey);
      return {jwt, signerJwk: signer.method === 'jwk' ? signer.publicJwk : undefined};
    },
  };
}

function describe(error) {
  const out = {name: error?.name, message: String(error?.message ?? error)};
  if(error instanceof Openid4vciRetrieveCredentialsError) {
    out.status = error.response?.credentialResponseResult?.status ?? error.response?.response?.status;
    out.body = error.response?.credentialErrorResponseResult?.data ?? null;
  } else if(error?.errorResponse) {
    out.body = error.errorResponse;  // Oauth2ClientErrorResponseError: the token endpoint's error answer
  }
  return out;
}

// --- one pickup ------------------------------------------------------------------------------------------

async function pickup(input, done) {
  const steps = {};
  try {
    const {privateKey, signer, holder} = await holderKey(input);
    const client = new Openid4vciClient({callbacks: callbacksFor(privateKey)});
    const offer = await client.resolveCredentialOffer(input.offer);
    steps.offer = offer;
    const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer);
    steps.originalDraftVersion = issuerMetadata.originalDraftVersion;
    steps.tokenEndpoint = issuerMetadata.authorizationServers[0].token_endpoint;
    const {accessTokenResponse} = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
      credentialOffer: offer, issuerMetadata, txCode: input.txCode});
    steps.tokenType = accessTokenResponse.token_type;
    const {c_nonce: nonce} = await client.requestNonce({issuerMetadata});
    let jwt;
    if(input.replayProofOf !== undefined) {
      jwt = done[input.replayProofOf].proof;  // an attacker's replay of another pickup's proof
    } else {
      ({jwt} = await client.createCredentialRequestJwtProof({
        issuerMetadata, credentialConfigurationId: input.configurationId, signer, nonce, issuedAt: new Date()}));
    }
    steps.proof = jwt;
    const response = await client.retrieveCredentials({
      issuerMetadata, accessToken: accessTokenResponse.access_token,
      credentialConfigurationId: input.configurationId, proofs: {jwt: [jwt]}});
    steps.credentials = response.credentialResponse.credentials;
    steps.holder = holder;
    steps.signerMethod = signer.method;
    steps.publicJwk = signer.publicJwk ?? null;
  } catch(error) {
    steps.error = describe(error);
  }
  return steps;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const {pickups} = await readStdin();
const results = [];
for(const input of pickups) {
  results.push(await pickup(input, results));
}
process.stdout.write(JSON.stringify({results, fetched, refused}));
