import { randomUUID } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { exportJWK, generateKeyPair, importJWK, type JWK } from "jose";

/** The stand-in's ES256 key: signs access tokens, published (public half only) in the JWKS. */
export interface SigningKey {
  kid: string;
  alg: "ES256";
  privateKey: CryptoKey;
  /** What `/.well-known/jwks.json` lists for this key. */
  publicJwk: JWK;
}

/**
 * Loads the ES256 key pair persisted as a private JWK in `file`, or creates and persists one, so dev
 * tokens (and browser sessions) survive restarts. Without `file` the key lives in memory only.
 */
export async function loadOrCreateSigningKey(file?: string): Promise<SigningKey> {
  if (file) {
    const stored = await readStoredJwk(file);
    if (stored) return fromPrivateJwk(stored);
  }
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const privateJwk: JWK = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: "ES256", use: "sig" };
  if (!file) return fromPrivateJwk(privateJwk);
  await mkdir(path.dirname(file), { recursive: true });
  try {
    // `wx`: if two processes start at once, the first writer wins and the other reads its key.
    await writeFile(file, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const winner = await readStoredJwk(file);
    if (winner) return fromPrivateJwk(winner);
    throw error;
  }
  return fromPrivateJwk(privateJwk);
}

async function readStoredJwk(file: string): Promise<JWK | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const jwk = JSON.parse(text) as JWK;
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || !jwk.d || !jwk.kid) {
    throw new Error(`${file} does not hold an ES256 private JWK with a kid; delete it to create a new key.`);
  }
  return jwk;
}

async function fromPrivateJwk(jwk: JWK): Promise<SigningKey> {
  const kid = jwk.kid as string;
  const privateKey = (await importJWK({ ...jwk, ext: false }, "ES256")) as CryptoKey;
  const publicJwk: JWK = {
    kty: "EC",
    crv: "P-256",
    x: jwk.x,
    y: jwk.y,
    kid,
    alg: "ES256",
    use: "sig",
    key_ops: ["verify"],
    ext: true,
  };
  return { kid, alg: "ES256", privateKey, publicJwk };
}
