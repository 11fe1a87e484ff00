export { CertificateAuthority, CaError, caPaths, CA_COMMON_NAME, CA_VALIDITY_YEARS } from './certificate-authority.js';
export type { CaErrorCode, CaOptions, CaPaths, CaStatus, LeafRequestOptions } from './certificate-authority.js';
export { issueLeaf, MAX_LEAF_VALIDITY_DAYS, DEFAULT_LEAF_VALIDITY_DAYS } from './leaf-generator.js';
export type { LeafCertificate, LeafKeyType } from './leaf-generator.js';
export { mockttpHttpsOptions, useOwnLeavesInMockttp, isMockttpLeafHookActive, localInterfaceAddresses, LOOPBACK_NAMES } from './mockttp-https.js';
export { isTunnelLeafHookInstalled } from './mockttp-tunnel-leaves.js';
export type { MockttpHttpsOptionsInput } from './mockttp-https.js';
export { fingerprints, spkiSha256Pin, classifyHost } from './pem.js';
export type { CertFingerprints, SubjectName } from './pem.js';
