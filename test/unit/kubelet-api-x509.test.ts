// The serving certificate's documents, DER-encoded by our own code: the self-signed certificate
// read back by node:crypto, the certificate request read and its signature checked by openssl.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  certificateRequestPem,
  newPrivateKeyPem,
  selfSignedCertificatePem,
} from '../../src/runtime/kubelet-api/x509.js';

const identity = {
  commonName: 'system:node:node-1',
  organization: 'system:nodes',
  dnsNames: ['node-1'],
  ipAddresses: ['10.203.0.1', 'fd00::1'],
};

describe('serving certificate documents', () => {
  it('a self-signed certificate for the node: its names and addresses, a year, signed by its key', () => {
    const key = newPrivateKeyPem();
    const now = new Date('2026-12-05T06:00:00Z');
    const cert = new X509Certificate(selfSignedCertificatePem(identity, key, now));
    assert.equal(cert.subject, 'O=system:nodes\nCN=system:node:node-1');
    assert.equal(cert.issuer, cert.subject);
    assert.equal(cert.subjectAltName, 'DNS:node-1, IP Address:10.203.0.1, IP Address:FD00:0:0:0:0:0:0:1');
    assert.equal(Date.parse(cert.validFrom), now.getTime() - 3_600_000);
    assert.equal(Date.parse(cert.validTo), now.getTime() + 365 * 86_400_000);
    assert.ok(cert.verify(cert.publicKey));
    assert.ok(cert.checkPrivateKey(createPrivateKey(key)));
    assert.equal(cert.ca, false);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  });

  it('a certificate request openssl reads and verifies, with the subject and subjectAltNames', () => {
    const csr = certificateRequestPem(identity, newPrivateKeyPem());
    const text = execFileSync('openssl', ['req', '-verify', '-noout', '-text'], {
      input: csr,
      stdio: 'pipe',
    }).toString();
    assert.match(text, /Subject: O ?= ?system:nodes, CN ?= ?system:node:node-1/);
    assert.match(text, /DNS:node-1, IP Address:10\.203\.0\.1, IP Address:FD00:0:0:0:0:0:0:1/);
    assert.match(text, /ecdsa-with-SHA256/);
  });
});
