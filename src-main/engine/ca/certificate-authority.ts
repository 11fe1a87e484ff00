import { createPrivateKey, createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { createLeafKeys, issueLeaf, randomSerialHex, sanForHost, type LeafCertificate, type LeafKeyType, type LeafKeys } from './leaf-generator.js';
import { LruCache } from './lru-cache.js';
import { derToPem, fingerprints, type CertFingerprints } from './pem.js';
import type { CaInfo } from '../../../src-shared/machine.js';

const crypto = webcrypto;
type CryptoKey = webcrypto.CryptoKey;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Regenerate a cached leaf this long before it expires so no handshake sees a stale one. */
const LEAF_RENEW_MARGIN_MS = DAY_MS;

export const CA_COMMON_NAME = 'Traffic Recorder CA';
export const CA_VALIDITY_YEARS = 10;

export type CaErrorCode = 'CA_CORRUPT' | 'CA_KEY_MISMATCH' | 'CA_EXPIRED' | 'CA_IO';

export class CaError extends Error {
  constructor(readonly code: CaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CaError';
  }
}

export interface CaPaths {
  dir: string;
  certPath: string;
  keyPath: string;
}

/** Everything safe to show a user or send over the API, never the key: the API's own CaInfo. */
export type CaStatus = CaInfo;

export interface LeafRequestOptions {
  /** Overrides the CA's `leafKeyType` for this request. */
  keyType?: LeafKeyType;
}

export interface CaOptions {
  leafCacheSize?: number;
  leafKeyType?: LeafKeyType;
  leafValidityDays?: number;
  /** For tests: the clock used for generation and expiry checks. */
  now?: () => Date;
}

export function caPaths(dataDir: string): CaPaths {
  const dir = path.join(path.resolve(dataDir), 'ca');
  return { dir, certPath: path.join(dir, 'ca-cert.pem'), keyPath: path.join(dir, 'ca-key.pem') };
}

const loading = new Map<string, Promise<CertificateAuthority>>();

export class CertificateAuthority {
  readonly certPem: string;
  readonly paths: CaPaths;
  readonly fingerprints: CertFingerprints;
  readonly #keyPem: string;
  readonly #cert: x509.X509Certificate;
  readonly #key: CryptoKey;
  readonly #leaves: LruCache<string, Promise<LeafCertificate>>;
  /** One key pair per key type for all leaves of this CA: new hosts then cost a signature, not a key generation. */
  readonly #leafKeys = new Map<LeafKeyType, Promise<LeafKeys>>();
  readonly #options: CaOptions;

  private constructor(paths: CaPaths, certPem: string, keyPem: string, cert: x509.X509Certificate, key: CryptoKey, options: CaOptions) {
    this.paths = paths;
    this.certPem = certPem;
    this.#keyPem = keyPem;
    this.#cert = cert;
    this.#key = key;
    this.#options = options;
    this.fingerprints = fingerprints(certPem);
    this.#leaves = new LruCache(options.leafCacheSize ?? 1000);
  }

  /**
   * Returns the install's CA, generating it on first use. Concurrent callers (in this process or
   * others) end up with the same CA: creation publishes by renaming a complete directory into place.
   */
  static loadOrCreate(dataDir: string, options: CaOptions = {}): Promise<CertificateAuthority> {
    const paths = caPaths(dataDir);
    let pending = loading.get(paths.dir);
    if (!pending) {
      pending = loadOrCreateUncached(paths, options);
      loading.set(paths.dir, pending);
      pending.catch(() => loading.delete(paths.dir));
    }
    return pending;
  }

  /** The existing CA, or null when none was generated yet. Never creates one. */
  static async load(dataDir: string, options: CaOptions = {}): Promise<CertificateAuthority | null> {
    const paths = caPaths(dataDir);
    if (!(await exists(paths.certPath))) return null;
    return loadFrom(paths, options);
  }

  /** Status without creating anything: `{ exists: false }` before the first generation. */
  static async statusOf(dataDir: string): Promise<CaStatus | { exists: false }> {
    const ca = await CertificateAuthority.load(dataDir);
    return ca ? ca.status() : { exists: false };
  }

  get certPath(): string {
    return this.paths.certPath;
  }

  /**
   * PKCS#8 PEM private key. For the proxy engine's TLS setup only: never return it from an API
   * operation, log it or write it anywhere but the 0600 key file.
   */
  get keyPem(): string {
    return this.#keyPem;
  }

  status(): CaStatus {
    const cn = this.#cert.subjectName.getField('CN')[0] ?? CA_COMMON_NAME;
    return {
      exists: true,
      subject: this.#cert.subject,
      commonName: cn,
      keyAlgorithm: 'ECDSA P-256',
      notBefore: this.#cert.notBefore.toISOString(),
      notAfter: this.#cert.notAfter.toISOString(),
      expired: this.#now().getTime() > this.#cert.notAfter.getTime(),
      certPath: this.paths.certPath,
      ...this.fingerprints,
    };
  }

  /** Keeps the key out of JSON.stringify(ca) by accident. */
  toJSON(): CaStatus {
    return this.status();
  }

  /** A server certificate for one host (DNS name or IP literal), cached per host (LRU). */
  leafFor(host: string, options: LeafRequestOptions = {}): Promise<LeafCertificate> {
    return this.leafForNames([host], options);
  }

  /** A server certificate covering several hosts, e.g. localhost + 127.0.0.1 + ::1 for clients sending no SNI. */
  leafForNames(hosts: readonly string[], options: LeafRequestOptions = {}): Promise<LeafCertificate> {
    if (this.status().expired) {
      return Promise.reject(new CaError('CA_EXPIRED', `The CA expired on ${this.#cert.notAfter.toISOString()}`));
    }
    const keyType = options.keyType ?? this.#options.leafKeyType ?? 'ec-p256';
    const names = hosts.map((h) => { const n = sanForHost(h); return `${n.kind}:${n.value}`; }).join(',');
    const key = `${keyType}|${names}`;
    const cached = this.#leaves.get(key);
    if (cached) return cached.then((leaf) => (this.#fresh(leaf) ? leaf : this.#issue(key, hosts, keyType)));
    return this.#issue(key, hosts, keyType);
  }

  #issue(key: string, hosts: readonly string[], keyType: LeafKeyType): Promise<LeafCertificate> {
    let keys = this.#leafKeys.get(keyType);
    if (!keys) {
      keys = createLeafKeys(keyType);
      this.#leafKeys.set(keyType, keys);
      keys.catch(() => this.#leafKeys.delete(keyType));
    }
    const pending = keys.then((shared) =>
      issueLeaf({ cert: this.#cert, certPem: this.certPem, key: this.#key }, hosts, {
        keyType,
        validityDays: this.#options.leafValidityDays,
        now: this.#now(),
        keys: shared,
      }),
    );
    this.#leaves.set(key, pending);
    pending.catch(() => this.#leaves.delete(key));
    return pending;
  }

  #fresh(leaf: LeafCertificate): boolean {
    return leaf.notAfter.getTime() - this.#now().getTime() > LEAF_RENEW_MARGIN_MS;
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }
}

async function loadOrCreateUncached(paths: CaPaths, options: CaOptions): Promise<CertificateAuthority> {
  if (await exists(paths.certPath)) return loadFrom(paths, options);
  await fs.mkdir(path.dirname(paths.dir), { recursive: true });
  const tmp = await fs.mkdtemp(path.join(path.dirname(paths.dir), '.ca-new-'));
  try {
    const { certPem, keyPem } = await generateCa(options.now?.() ?? new Date());
    await writeDurable(path.join(tmp, path.basename(paths.keyPath)), keyPem, 0o600);
    await writeDurable(path.join(tmp, path.basename(paths.certPath)), certPem, 0o644);
    await fs.chmod(tmp, 0o700);
    try {
      await fs.rename(tmp, paths.dir);
    } catch (e) {
      // Another process won the race: its CA is the install's CA.
      if (!isCode(e, 'EEXIST', 'ENOTEMPTY', 'EPERM')) throw e;
      await fs.rm(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (e instanceof CaError) throw e;
    throw new CaError('CA_IO', `Cannot create the CA in ${paths.dir}: ${(e as Error).message}`, { cause: e });
  }
  return loadFrom(paths, options);
}

async function loadFrom(paths: CaPaths, options: CaOptions): Promise<CertificateAuthority> {
  let certPem: string;
  let keyPem: string;
  try {
    [certPem, keyPem] = await Promise.all([fs.readFile(paths.certPath, 'utf8'), fs.readFile(paths.keyPath, 'utf8')]);
    // Repair a key file whose mode was loosened (copied around, restored from a backup).
    const st = await fs.stat(paths.keyPath);
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) await fs.chmod(paths.keyPath, 0o600);
  } catch (e) {
    throw new CaError('CA_IO', `Cannot read the CA from ${paths.dir}: ${(e as Error).message}`, { cause: e });
  }
  let cert: x509.X509Certificate;
  let key: CryptoKey;
  try {
    cert = new x509.X509Certificate(certPem);
    const keyObject = createPrivateKey(keyPem);
    const fromKey = createPublicKey(keyObject).export({ type: 'spki', format: 'der' });
    if (!Buffer.from(cert.publicKey.rawData).equals(fromKey)) {
      throw new CaError('CA_KEY_MISMATCH', `The CA key in ${paths.keyPath} does not belong to ${paths.certPath}`);
    }
    const pkcs8 = keyObject.export({ type: 'pkcs8', format: 'der' });
    key = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  } catch (e) {
    if (e instanceof CaError) throw e;
    throw new CaError('CA_CORRUPT', `The CA files in ${paths.dir} are unreadable: ${(e as Error).message}`, { cause: e });
  }
  return Reflect.construct(CertificateAuthority, [paths, certPem, keyPem, cert, key, options]) as CertificateAuthority;
}

/** ECDSA P-256 root: basicConstraints CA:true pathLen 0 critical, keyCertSign|cRLSign critical, SKI = AKI. */
export async function generateCa(now: Date): Promise<{ certPem: string; keyPem: string }> {
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  // A per-install OU keeps subjects distinct when several installs' CAs meet in one trust store.
  const installId = randomBytes(4).toString('hex');
  const name = new x509.Name([{ O: ['Traffic Recorder'] }, { OU: [`install ${installId}`] }, { CN: [CA_COMMON_NAME] }]);
  const notBefore = new Date(now.getTime() - DAY_MS);
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_VALIDITY_YEARS);
  const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: name,
    issuer: name,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ski,
      new x509.AuthorityKeyIdentifierExtension(ski.keyId, false),
    ],
  }, crypto);
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem') + '\n', keyPem: derToPem(pkcs8, 'PRIVATE KEY') };
}

async function writeDurable(file: string, data: string, mode: number): Promise<void> {
  const handle = await fs.open(file, 'wx', mode);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.chmod(file, mode); // the umask may have narrowed or the platform ignored `mode`
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

function isCode(e: unknown, ...codes: string[]): boolean {
  return typeof e === 'object' && e !== null && codes.includes((e as { code?: string }).code ?? '');
}
