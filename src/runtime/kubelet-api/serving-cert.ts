// The kubelet API's serving certificate, and its renewals. Three sources, in this order:
// - the files given (--tls-cert-file, --tls-private-key-file): served as they are, never renewed
//   (as the kubelet);
// - a certificate issued by the cluster: a CertificateSigningRequest for the signer
//   kubernetes.io/kubelet-serving (subject system:node:<node>, organization system:nodes, the
//   node's name and addresses as subjectAltNames), approved by the operator or an approver (the
//   agent never approves its own) and signed by the controller manager. It is kept in the cert
//   directory (kubelet-server-current.pem, certificate and key, as the kubelet names it) and
//   renewed at a random point between 70% and 90% of its lifetime (core/kubelet-api/cert-renewal.ts);
// - until one is issued, and without a cluster: a self-signed certificate (kubelet.crt and
//   kubelet.key in the cert directory, the kubelet's names), made once and kept.
// Every change is handed to `onCertificate`, which puts it in the server's TLS context.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import { renewalTime } from '../../core/kubelet-api/cert-renewal.js';
import type { KubeApi } from '../kube/types.js';
import type { Logger } from '../logger.js';
import { certificateRequestPem, newPrivateKeyPem, selfSignedCertificatePem, type ServingIdentity } from './x509.js';

export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';

export interface ServingCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly source: 'files' | 'issued' | 'self-signed';
}

export interface ServingCertificateOptions {
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly certDir: string;
  readonly identity: ServingIdentity;
  /** Ask the cluster for the certificate (--rotate-server-certificates); absent: self-signed only. */
  readonly kube?: Pick<KubeApi, 'createCertificateSigningRequest' | 'getCertificateSigningRequest'>;
  readonly log: Logger;
  readonly onCertificate: (certificate: ServingCertificate) => void;
  readonly now?: () => number;
  readonly random?: () => number;
  /** How often a pending request is read back (default 2 s for a minute, then 15 s). */
  readonly pollMs?: number;
  /** The wait after a failed or denied request before the next one (default 30 s, doubling to 5 min). */
  readonly retryMs?: number;
}

export interface ServingCertificates {
  readonly current: ServingCertificate;
  stop(): void;
}

const CURRENT_FILE = 'kubelet-server-current.pem';
const SELF_SIGNED = { cert: 'kubelet.crt', key: 'kubelet.key' } as const;
/** setTimeout's longest wait; a longer one is waited in parts. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export async function startServingCertificates(options: ServingCertificateOptions): Promise<ServingCertificates> {
  const now = options.now ?? Date.now;
  if (options.certFile && options.keyFile) {
    const certPem = await readFile(options.certFile, 'utf8');
    const keyPem = await readFile(options.keyFile, 'utf8');
    const current = parse(certPem, keyPem, 'files');
    if (!current) throw new Error(`${options.certFile}: not a certificate for the key in ${options.keyFile}`);
    return { current, stop: () => undefined };
  }
  await mkdir(options.certDir, { recursive: true, mode: 0o700 });
  let current = (options.kube && (await loadIssued(options))) || (await selfSigned(options, now()));
  if (!options.kube) return { current, stop: () => undefined };

  const stopped = new AbortController();
  const renewals = async (): Promise<void> => {
    let retryMs = options.retryMs ?? 30_000;
    while (!stopped.signal.aborted) {
      const at = current.source === 'issued' ? renewalTime(current.notBefore, current.notAfter, random()) : now();
      while (now() < at && !stopped.signal.aborted) await sleep(at - now(), stopped.signal);
      if (stopped.signal.aborted) return;
      try {
        current = await requestCertificate(options, stopped.signal);
        retryMs = options.retryMs ?? 30_000;
        options.onCertificate(current);
        options.log.info(
          { notAfter: new Date(current.notAfter).toISOString() },
          'serving the kubelet API with the certificate the cluster issued',
        );
      } catch (err) {
        if (stopped.signal.aborted) return;
        options.log.warn(
          { err: (err as Error).message, retryInSeconds: retryMs / 1000 },
          'no serving certificate from the cluster yet',
        );
        await sleep(retryMs, stopped.signal);
        retryMs = Math.min(retryMs * 2, 5 * 60_000);
      }
    }
  };
  const random = options.random ?? Math.random;
  void renewals();
  return {
    get current() {
      return current;
    },
    stop: () => stopped.abort(),
  };
}

/** A request, then its answer: resolves with the issued certificate, rejects when denied or failed. */
async function requestCertificate(
  options: ServingCertificateOptions,
  signal: AbortSignal,
): Promise<ServingCertificate> {
  const kube = options.kube!;
  const keyPem = newPrivateKeyPem();
  const csr: V1CertificateSigningRequest = {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { generateName: 'csr-' },
    spec: {
      request: Buffer.from(certificateRequestPem(options.identity, keyPem)).toString('base64'),
      signerName: KUBELET_SERVING_SIGNER,
      usages: ['digital signature', 'server auth'],
    },
  };
  const created = await kube.createCertificateSigningRequest(csr);
  const name = created.metadata?.name ?? '';
  options.log.info(
    { csr: name, signer: KUBELET_SERVING_SIGNER },
    'asked the cluster for a serving certificate; it is issued once the request is approved (kubectl certificate approve)',
  );
  for (let polls = 0; ; polls++) {
    await sleep(options.pollMs ?? (polls < 30 ? 2_000 : 15_000), signal);
    if (signal.aborted) throw new Error('stopped');
    const seen = await kube.getCertificateSigningRequest(name);
    if (!seen) throw new Error(`certificate signing request ${name} is gone`);
    const refused = seen.status?.conditions?.find(
      (c) => (c.type === 'Denied' || c.type === 'Failed') && c.status === 'True',
    );
    if (refused)
      throw new Error(
        `certificate signing request ${name}: ${refused.type}: ${refused.message ?? refused.reason ?? ''}`,
      );
    const issued = seen.status?.certificate;
    if (!issued) continue;
    const certPem = Buffer.from(issued, 'base64').toString('utf8');
    const certificate = parse(certPem, keyPem, 'issued');
    if (!certificate) throw new Error(`certificate signing request ${name}: the issued certificate is not for our key`);
    await writeAtomically(join(options.certDir, CURRENT_FILE), certPem.trimEnd() + '\n' + keyPem);
    return certificate;
  }
}

/** The certificate issued before (kubelet-server-current.pem), while it is valid for this node. */
async function loadIssued(options: ServingCertificateOptions): Promise<ServingCertificate | undefined> {
  const text = await readFile(join(options.certDir, CURRENT_FILE), 'utf8').catch(() => undefined);
  const keyPem = text?.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----\n?/)?.[0];
  if (!text || !keyPem) return undefined;
  const certificate = parse(text.replace(keyPem, ''), keyPem, 'issued');
  return certificate && usable(certificate, options.identity, (options.now ?? Date.now)()) ? certificate : undefined;
}

async function selfSigned(options: ServingCertificateOptions, now: number): Promise<ServingCertificate> {
  const certPath = join(options.certDir, SELF_SIGNED.cert);
  const keyPath = join(options.certDir, SELF_SIGNED.key);
  const [certPem, keyPem] = await Promise.all([
    readFile(certPath, 'utf8').catch(() => undefined),
    readFile(keyPath, 'utf8').catch(() => undefined),
  ]);
  const kept = certPem && keyPem ? parse(certPem, keyPem, 'self-signed') : undefined;
  if (kept && usable(kept, options.identity, now)) return kept;
  const newKey = newPrivateKeyPem();
  const newCert = selfSignedCertificatePem(options.identity, newKey, new Date(now));
  await writeAtomically(keyPath, newKey);
  await writeAtomically(certPath, newCert);
  options.log.info({ cert: certPath }, 'made a self-signed serving certificate for the kubelet API');
  return parse(newCert, newKey, 'self-signed')!;
}

/** The certificate (the first of a chain) if it is one and matches the key. */
function parse(certPem: string, keyPem: string, source: ServingCertificate['source']): ServingCertificate | undefined {
  try {
    const x = new X509Certificate(certPem);
    if (!x.checkPrivateKey(createPrivateKey(keyPem))) return undefined;
    return { certPem, keyPem, notBefore: Date.parse(x.validFrom), notAfter: Date.parse(x.validTo), source };
  } catch {
    return undefined;
  }
}

/** Valid for a while yet and naming every name and address the node has now. */
function usable(certificate: ServingCertificate, identity: ServingIdentity, now: number): boolean {
  if (now >= certificate.notAfter) return false;
  const x = new X509Certificate(certificate.certPem);
  return (
    identity.dnsNames.every((n) => x.checkHost(n, { wildcards: false }) === n) &&
    identity.ipAddresses.every((ip) => x.checkIP(ip) !== undefined)
  );
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.min(ms, MAX_TIMER_MS));
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
