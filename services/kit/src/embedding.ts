/**
 * Text embeddings for semantic course search.
 *
 * No model can be downloaded on the machines DevStack is built on, so the default embedder is a
 * deterministic feature-hashing embedder: each token and each pair of adjacent tokens is hashed to
 * one of `dimensions` buckets with a hashed sign, and the vector is L2-normalised. Texts sharing
 * words are close in cosine distance; there is no semantics beyond shared vocabulary. A real model
 * (e.g. all-MiniLM-L6-v2, also 384 dimensions) replaces it by implementing `Embedder`.
 */
export interface Embedder {
  readonly dimensions: number;
  embed(text: string): Float32Array;
}

export const EMBEDDING_DIMENSIONS = 384;

// FNV-1a, 32 bit: fast, stable across platforms and versions.
function fnv1a(text: string, seed = 0x811c9dc5): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

export class FeatureHashingEmbedder implements Embedder {
  readonly dimensions: number;
  constructor(dimensions = EMBEDDING_DIMENSIONS) {
    this.dimensions = dimensions;
  }

  embed(text: string): Float32Array {
    const vector = new Float32Array(this.dimensions);
    const tokens = tokenize(text);
    const add = (feature: string, weight: number) => {
      const h = fnv1a(feature);
      vector[h % this.dimensions] =
        (vector[h % this.dimensions] ?? 0) + ((fnv1a(feature, 0x9747b28c) & 1) === 0 ? weight : -weight);
    };
    for (let i = 0; i < tokens.length; i++) {
      add(tokens[i] ?? "", 1);
      if (i > 0) add(`${tokens[i - 1]} ${tokens[i]}`, 0.5);
    }
    let norm = 0;
    for (const x of vector) norm += x * x;
    norm = Math.sqrt(norm);
    // An empty text gets a fixed unit vector, so distances stay defined.
    if (norm === 0) vector[0] = 1;
    else for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] ?? 0) / norm;
    return vector;
  }
}

/** pgvector's text form: `[0.1,0.2,...]`. */
export const toPgVector = (v: Float32Array) => `[${Array.from(v, (x) => Number(x.toFixed(6))).join(",")}]`;
