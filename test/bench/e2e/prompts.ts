/**
 * Prompts of a realistic size for a chat application: a system prompt and a user message with some
 * context, ~450 tokens in all, different for every request (no cache on any side can help).
 */
const SYSTEM =
  'You are a careful assistant for a European telecom operator. Answer in plain language, cite the ' +
  'policy section you rely on, never reveal customer data, and say so when you are not sure. Keep ' +
  'answers short unless the user asks for detail.';

const CONTEXT = [
  'The operator runs GPU sites in several jurisdictions and routes each request to a site its data may legally reach.',
  'Customers are billed per token at the rate card of the operator whose site served the request.',
  'A hold is placed on the budget before generation and reconciled with the actual usage afterwards.',
  'Sites report usage in prompt and completion tokens, which the control plane checks against its own count.',
  'Settlement between operators happens periodically in signed statements that anyone can verify.',
  'Residency rules can be narrowed per request, but never widened beyond the tenant contract.',
  'When a site fails before the first byte, the request fails over to the next eligible site.',
  'Usage records are appended exactly once per request, including requests cut short by the client.',
];

export function chatMessages(i: number): { role: string; content: string }[] {
  // rotate the context so consecutive requests differ beyond their number
  const context = Array.from({ length: 24 }, (_, k) => CONTEXT[(i + k) % CONTEXT.length]).join(' ');
  return [
    { role: 'system', content: SYSTEM },
    {
      role: 'user',
      content: `Ticket #${i}. Context: ${context}\nQuestion: in two sentences, what happens to my budget if I stop reading a streamed answer halfway?`,
    },
  ];
}
