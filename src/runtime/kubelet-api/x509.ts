// The two X.509 documents the serving certificate needs, DER-encoded by hand (node:crypto makes
// keys and signatures and parses certificates, but builds neither): a PKCS#10 certificate request
// for the cluster's kubernetes.io/kubelet-serving signer, and the self-signed certificate that is
// served until one is issued (and when there is no cluster). ECDSA P-256 with SHA-256 only, as
// the kubelet's own requests; just the fields and extensions those two documents need.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

export interface ServingIdentity {
  /** system:node:<node> */
  readonly commonName: string;
  /** system:nodes */
  readonly organization?: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

/** A new P-256 key, as PKCS#8 PEM. */
export function newPrivateKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** A PKCS#10 request (PEM) for `identity`, its names and addresses as subjectAltNames. */
export function certificateRequestPem(identity: ServingIdentity, keyPem: string): string {
  const key = privateKey(keyPem);
  const info = seq(
    integer(Buffer.from([0])),
    name(identity),
    spki(key),
    // attributes [0]: extensionRequest { subjectAltName }
    tlv(0xa0, seq(oid(OID.extensionRequest), set(seq(subjectAltName(identity))))),
  );
  return pem('CERTIFICATE REQUEST', signed(info, key));
}

/**
 * A self-signed serving certificate for `identity`, valid from an hour ago (clock skew) for
 * `validDays`: digital signature, server auth, not a CA.
 */
export function selfSignedCertificatePem(
  identity: ServingIdentity,
  keyPem: string,
  now: Date,
  validDays = 365,
): string {
  const key = privateKey(keyPem);
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  const subject = name(identity);
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))), // version v3
    integer(serial),
    seq(oid(OID.ecdsaWithSha256)),
    subject, // issuer: itself
    seq(time(new Date(now.getTime() - 3_600_000)), time(new Date(now.getTime() + validDays * 86_400_000))),
    subject,
    spki(key),
    tlv(
      0xa3,
      seq(
        extension(OID.basicConstraints, true, seq()),
        // digitalSignature: bit 0 of a one-byte BIT STRING with 7 unused bits
        extension(OID.keyUsage, true, tlv(0x03, Buffer.from([7, 0x80]))),
        extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth))),
        subjectAltName(identity),
      ),
    ),
  );
  return pem('CERTIFICATE', signed(tbs, key));
}

// ------------------------------------------------------------------------------- DER

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  extensionRequest: '1.2.840.113549.1.9.14',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

function privateKey(keyPem: string): KeyObject {
  const key = createPrivateKey(keyPem);
  if (key.asymmetricKeyType !== 'ec') throw new Error('the serving key must be an EC (P-256) key');
  return key;
}

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const utf8 = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'));

/** A non-negative INTEGER from its big-endian bytes. */
function integer(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const trimmed = bytes.subarray(i);
  return tlv(0x02, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280). */
function time(d: Date): Buffer {
  const iso = d
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z'); // YYYYMMDDHHMMSSZ
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

/** The subject: O (when given), then CN, as the kubelet's requests order them. */
function name(identity: ServingIdentity): Buffer {
  const rdn = (type: string, value: string) => set(seq(oid(type), utf8(value)));
  return seq(
    ...(identity.organization ? [rdn(OID.organization, identity.organization)] : []),
    rdn(OID.commonName, identity.commonName),
  );
}

function spki(key: KeyObject): Buffer {
  return createPublicKey(key).export({ type: 'spki', format: 'der' });
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}

function subjectAltName(identity: ServingIdentity): Buffer {
  const names = [
    ...identity.dnsNames.map((n) => tlv(0x82, Buffer.from(n, 'ascii'))),
    ...identity.ipAddresses.map((ip) => tlv(0x87, ipBytes(ip))),
  ];
  return extension(OID.subjectAltName, false, seq(...names));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  if (isIP(ip) !== 6) throw new Error(`not an IP address: ${ip}`);
  const [head = '', tail = ''] = ip.split('::');
  const words = (s: string) => (s === '' ? [] : s.split(':'));
  const h = words(head);
  const t = ip.includes('::') ? words(tail) : [];
  const all = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.from(all.flatMap((w) => [parseInt(w, 16) >> 8, parseInt(w, 16) & 0xff]));
}

/** SEQUENCE { toBeSigned, ecdsa-with-SHA256, BIT STRING signature }. */
function signed(toBeSigned: Buffer, key: KeyObject): Buffer {
  const signature = sign('sha256', toBeSigned, { key, dsaEncoding: 'der' });
  return seq(toBeSigned, seq(oid(OID.ecdsaWithSha256)), tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
