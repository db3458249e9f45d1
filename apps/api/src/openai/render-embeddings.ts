/** Embeddings in OpenAI's shape, pure: floats as numbers, or base64 of little-endian float32. */
import type { EmbeddingsResult } from '../dataplane/types';

/** OpenAI's `encoding_format: "base64"`: the vector's float32 values, little-endian, base64. */
export function encodeBase64Float32(vector: readonly number[]): string {
  const buf = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) buf.writeFloatLE(vector[i]!, i * 4);
  return buf.toString('base64');
}

export function embeddingsBody(model: string, result: EmbeddingsResult, format: 'float' | 'base64') {
  const f = result.federa;
  return {
    object: 'list' as const,
    data: result.vectors.map((vector, index) => ({
      object: 'embedding' as const,
      index,
      embedding: format === 'base64' ? encodeBase64Float32(vector) : vector,
    })),
    model,
    usage: { prompt_tokens: result.usage.inputTokens, total_tokens: result.usage.inputTokens },
    federa: {
      charge: f.charge,
      currency: f.currency,
      site: f.site,
      jurisdiction: f.jurisdiction,
      recordId: f.recordId,
      flags: f.flags,
      ...(f.code ? { code: f.code } : {}),
    },
  };
}
