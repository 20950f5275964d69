import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/**
 * A throwaway PKI for the TLS tests: a CA, and certificates it signs for a server (its DNS names and
 * 127.0.0.1) or a client. Keys come from node's crypto (RSA 2048, fast); node-forge writes the
 * X.509 certificates, which node's crypto cannot sign.
 */
export interface Pems {
  cert: string;
  key: string;
}
export interface TestCa extends Pems {
  issue(opts: { cn: string; server?: boolean; dns?: string[] }): Pems;
}

const day = 86_400_000;

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    keyPem,
    forgePrivate: forge.pki.privateKeyFromPem(keyPem),
    forgePublic: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
  };
}

function certificate(
  subject: string,
  publicKey: forge.pki.PublicKey,
  issuer: forge.pki.Certificate | undefined,
  signer: forge.pki.PrivateKey,
  extensions: object[],
) {
  const c = forge.pki.createCertificate();
  c.publicKey = publicKey;
  c.serialNumber = `01${randomBytes(8).toString('hex')}`;
  c.validity.notBefore = new Date(Date.now() - day);
  c.validity.notAfter = new Date(Date.now() + day);
  c.setSubject([{ name: 'commonName', value: subject }]);
  c.setIssuer(issuer ? issuer.subject.attributes : [{ name: 'commonName', value: subject }]);
  c.setExtensions([...extensions, { name: 'subjectKeyIdentifier' }]);
  c.sign(signer as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return c;
}

export function createTestCa(name = 'aicall test CA'): TestCa {
  const k = keyPair();
  const ca = certificate(name, k.forgePublic, undefined, k.forgePrivate, [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  return {
    cert: forge.pki.certificateToPem(ca),
    key: k.keyPem,
    issue({ cn, server = false, dns = [] }) {
      const leaf = keyPair();
      const c = certificate(cn, leaf.forgePublic, ca, k.forgePrivate, [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: server, clientAuth: !server },
        ...(server
          ? [{ name: 'subjectAltName', altNames: [...dns.map((value) => ({ type: 2, value })), { type: 7, ip: '127.0.0.1' }] }]
          : []),
        { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
      ]);
      return { cert: forge.pki.certificateToPem(c), key: leaf.keyPem };
    },
  };
}
