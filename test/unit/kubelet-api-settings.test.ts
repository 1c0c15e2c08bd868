// The kubelet API's settings from the flags and the --config file: when it is served, and the
// defaults with and without a cluster.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigText } from '../../src/cli/config-file.js';
import { parseCommand } from '../../src/cli/flags.js';
import { kubeletApiSettings } from '../../src/cli/kubelet-api-settings.js';

const base = ['--pod-manifest-path=/etc/kubernetes/manifests', '--hostname-override=n1', '--node-ip=10.0.0.5'];
const run = async (...args: string[]) => {
  const c = await parseCommand([...base, ...args]);
  assert.equal(c.kind, 'run');
  return c.kind === 'run' ? c.options : undefined!;
};

describe('kubelet API settings', () => {
  it('is not served without a cluster or a certificate, nor with --port=0', async () => {
    assert.equal((await run()).kubeletApi, undefined);
    assert.equal((await run('--kubeconfig=/k', '--port=0')).kubeletApi, undefined);
  });

  it("with --kubeconfig: the kubelet's port and address, tokens and SubjectAccessReview, a certificate from the cluster, no anonymous", async () => {
    assert.deepEqual((await run('--kubeconfig=/k', '--root-dir=/var/lib/x')).kubeletApi, {
      address: '0.0.0.0',
      port: 10250,
      certDir: '/var/lib/x/pki',
      rotateServerCertificates: true,
      authenticationTokenWebhook: true,
      authenticationTokenWebhookCacheTtlMs: 120_000,
      anonymousAuth: false,
      authorizationMode: 'Webhook',
      authorizationWebhookCacheAuthorizedTtlMs: 300_000,
      authorizationWebhookCacheUnauthorizedTtlMs: 30_000,
    });
  });

  it('with a certificate and no cluster: AlwaysAllow, no token review, never asks for a certificate', async () => {
    const s = (await run('--tls-cert-file=/c.pem', '--tls-private-key-file=/k.pem', '--client-ca-file=/ca.pem'))
      .kubeletApi!;
    assert.equal(s.authorizationMode, 'AlwaysAllow');
    assert.equal(s.authenticationTokenWebhook, false);
    assert.equal(s.rotateServerCertificates, false);
    assert.equal(s.clientCAFile, '/ca.pem');
  });

  it('refuses what cannot work, naming the flag', async () => {
    const refuse = async (args: string[], message: RegExp) =>
      assert.rejects(parseCommand([...base, ...args]), (err: Error) => message.test(err.message));
    await refuse(['--tls-cert-file=/c.pem'], /--tls-cert-file and --tls-private-key-file go together/);
    await refuse(
      ['--tls-cert-file=/c', '--tls-private-key-file=/k', '--authorization-mode=Webhook'],
      /needs --kubeconfig/,
    );
    await refuse(
      ['--tls-cert-file=/c', '--tls-private-key-file=/k', '--authentication-token-webhook'],
      /needs --kubeconfig/,
    );
    await refuse(['--kubeconfig=/k', '--authorization-mode=RBAC'], /--authorization-mode: "RBAC"/);
    await refuse(['--kubeconfig=/k', '--port=http'], /--port/);
    await refuse(['--kubeconfig=/k', '--address=localhost'], /--address/);
    await refuse(['--kubeconfig=/k', '--authorization-webhook-cache-authorized-ttl=soon'], /cache-authorized-ttl/);
  });

  it("reads a kubeadm KubeletConfiguration's fields; flags win", () => {
    const file = parseConfigText(
      `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
port: 10260
address: 192.0.2.1
tlsCertFile: /c.pem
tlsPrivateKeyFile: /k.pem
serverTLSBootstrap: false
authentication:
  anonymous: {enabled: true}
  webhook: {cacheTTL: 0s, enabled: true}
  x509: {clientCAFile: /etc/kubernetes/pki/ca.crt}
authorization:
  mode: Webhook
  webhook: {cacheAuthorizedTTL: 1m, cacheUnauthorizedTTL: 10s}
`,
      'config.yaml',
    );
    assert.deepEqual(file.ignored, []);
    const s = kubeletApiSettings({ port: '10270' }, file, { kubeconfig: true, rootDir: '/r' });
    assert.ok(s && !(s instanceof Error));
    assert.equal(s.port, 10270);
    assert.equal(s.address, '192.0.2.1');
    assert.equal(s.tlsCertFile, '/c.pem');
    assert.equal(s.rotateServerCertificates, false);
    assert.equal(s.clientCAFile, '/etc/kubernetes/pki/ca.crt');
    assert.equal(s.anonymousAuth, true);
    assert.equal(s.authenticationTokenWebhookCacheTtlMs, 0);
    assert.equal(s.authorizationWebhookCacheAuthorizedTtlMs, 60_000);
    assert.equal(s.authorizationWebhookCacheUnauthorizedTtlMs, 10_000);
    assert.throws(
      () =>
        parseConfigText(
          'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication: {webhook: {enabled: yes-please}}\n',
          'c.yaml',
        ),
      /authentication\.webhook\.enabled: must be true or false/,
    );
  });
});
