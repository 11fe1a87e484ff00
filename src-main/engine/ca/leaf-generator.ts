import { webcrypto, randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { classifyHost, derToPem, type SubjectName } from './pem.js';

const crypto = webcrypto;
type CryptoKey = webcrypto.CryptoKey;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Chromium rejects leaves valid for more than 398 days; stay under with a margin. */
export const MAX_LEAF_VALIDITY_DAYS = 397;
export const DEFAULT_LEAF_VALIDITY_DAYS = 365;
/** Backdating absorbs clock skew between this machine, VMs and phones under test. */
export const LEAF_BACKDATE_MS = DAY_MS;

export type LeafKeyType = 'ec-p256' | 'rsa-2048';

export interface LeafCertificate {
  /** The SAN entries, in order; the first one is also the subject CN. */
  names: SubjectName[];
  certPem: string;
  keyPem: string;
  /** Issuer certificate, for servers that send the chain. */
  caPem: string;
  notBefore: Date;
  notAfter: Date;
  keyType: LeafKeyType;
}

export interface LeafIssuer {
  cert: x509.X509Certificate;
  certPem: string;
  key: CryptoKey;
}

/** A key pair leaves may share (as mitmproxy's leaves do): saves a key generation per new host. */
export interface LeafKeys {
  pair: webcrypto.CryptoKeyPair;
  pem: string;
}

export interface LeafOptions {
  keyType?: LeafKeyType;
  validityDays?: number;
  now?: Date;
  /** Sign for this key pair instead of generating one; must be of `keyType`. */
  keys?: LeafKeys;
}

/** A fresh leaf key pair with its PKCS#8 PEM. */
export async function createLeafKeys(keyType: LeafKeyType): Promise<LeafKeys> {
  const pair = await generateLeafKeys(keyType);
  return { pair, pem: derToPem(await crypto.subtle.exportKey('pkcs8', pair.privateKey), 'PRIVATE KEY') };
}

/**
 * TLS stacks reject underscores in DNS SANs; like mockttp we cover such a host with a wildcard
 * of its parent, which only works when the underscore is in the first label.
 */
export function sanForHost(host: string): SubjectName {
  const name = classifyHost(host);
  if (name.kind === 'ip' || !name.value.includes('_')) return name;
  const [, ...parent] = name.value.split('.');
  if (parent.length < 2 || parent.some((label) => label.includes('_'))) {
    throw new Error(`Cannot issue a certificate for ${host}: underscores are only coverable in the first label`);
  }
  return { kind: 'dns', value: `*.${parent.join('.')}` };
}

/** Positive, non-zero-leading 128-bit serial (RFC 5280 allows up to 20 octets). */
export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x10;
  return bytes.toString('hex');
}

async function generateLeafKeys(keyType: LeafKeyType): Promise<webcrypto.CryptoKeyPair> {
  if (keyType === 'rsa-2048') {
    return crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true, ['sign', 'verify'],
    );
  }
  return crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
}

function signingAlgorithmFor(caKey: CryptoKey): webcrypto.Algorithm | webcrypto.EcdsaParams {
  if (caKey.algorithm.name === 'ECDSA') {
    const curve = (caKey.algorithm as webcrypto.EcKeyAlgorithm).namedCurve;
    const hash = curve === 'P-384' ? 'SHA-384' : curve === 'P-521' ? 'SHA-512' : 'SHA-256';
    return { name: 'ECDSA', hash };
  }
  return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
}

/** Issues one server certificate covering `hosts` (DNS names and/or IP literals). */
export async function issueLeaf(issuer: LeafIssuer, hosts: readonly string[], options: LeafOptions = {}): Promise<LeafCertificate> {
  if (hosts.length === 0) throw new Error('A leaf certificate needs at least one host');
  const keyType = options.keyType ?? 'ec-p256';
  const validityDays = options.validityDays ?? DEFAULT_LEAF_VALIDITY_DAYS;
  if (validityDays <= 0 || validityDays > MAX_LEAF_VALIDITY_DAYS) {
    throw new RangeError(`Leaf validity must be 1..${MAX_LEAF_VALIDITY_DAYS} days`);
  }
  const names = dedupeNames(hosts.map(sanForHost));
  const first = names[0]!;
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - LEAF_BACKDATE_MS);
  // A leaf must not outlive its issuer: verifiers reject the chain once the CA expires anyway.
  const notAfter = new Date(Math.min(notBefore.getTime() + validityDays * DAY_MS, issuer.cert.notAfter.getTime()));

  const shared = options.keys;
  const keys = shared?.pair ?? (await generateLeafKeys(keyType));
  const usage = keyType === 'rsa-2048'
    ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
    : x509.KeyUsageFlags.digitalSignature;
  const caSki = issuer.cert.getExtension(x509.SubjectKeyIdentifierExtension);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(usage, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
    new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: n.kind, value: n.value })), false),
    caSki
      ? new x509.AuthorityKeyIdentifierExtension(caSki.keyId, false)
      : await x509.AuthorityKeyIdentifierExtension.create(issuer.cert, false, crypto),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    // The issuer must be byte-identical to the CA subject; re-serialising a string form can reorder it.
    issuer: issuer.cert.subjectName,
    subject: new x509.Name([{ CN: [first.value] }]),
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: issuer.key,
    signingAlgorithm: signingAlgorithmFor(issuer.key),
    extensions,
  }, crypto);
  const keyPem = shared?.pem ?? derToPem(await crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return {
    names,
    certPem: cert.toString('pem') + '\n',
    keyPem,
    caPem: issuer.certPem,
    notBefore,
    notAfter,
    keyType,
  };
}

function dedupeNames(names: SubjectName[]): SubjectName[] {
  const seen = new Set<string>();
  return names.filter((n) => {
    const key = `${n.kind}:${n.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
