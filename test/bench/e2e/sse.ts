/**
 * Reading an OpenAI chat stream (server-sent events) as it arrives: when the first content token
 * came (TTFT), whether `data: [DONE]` ended it, and an error event if one did. Kept to the few lines
 * the format needs, so the bench's own parsing costs the same on both sides and nothing more.
 */

export interface StreamState {
  /** a chunk with non-empty `choices[].delta.content` has arrived */
  readonly sawContent: boolean;
  readonly done: boolean;
  /** the message of an `{error: …}` event, which ends an OpenAI stream early */
  readonly error: string | undefined;
}

interface ChatChunk {
  choices?: { delta?: { content?: unknown } }[];
  error?: { message?: unknown; code?: unknown };
}

export class ChatStreamReader implements StreamState {
  sawContent = false;
  done = false;
  error: string | undefined;
  /** the stable code of that error event, when it carried one */
  errorCode: string | undefined;
  private buffer = '';

  /** feeds decoded text; returns true when this text carried the first content token */
  push(text: string): boolean {
    const before = this.sawContent;
    this.buffer += text.replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const event = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.onEvent(event);
    }
    return !before && this.sawContent;
  }

  private onEvent(event: string): void {
    const data = event
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .join('\n');
    if (!data) return; // comments (keep-alives) and events without data
    if (data === '[DONE]') {
      this.done = true;
      return;
    }
    let chunk: ChatChunk;
    try {
      chunk = JSON.parse(data) as ChatChunk;
    } catch {
      this.error = `not JSON: ${data.slice(0, 80)}`;
      return;
    }
    if (chunk.error) {
      const { message, code } = chunk.error;
      this.error = typeof message === 'string' ? message : typeof code === 'string' ? code : 'error event';
      if (typeof code === 'string') this.errorCode = code;
    }
    for (const choice of chunk.choices ?? []) {
      if (typeof choice.delta?.content === 'string' && choice.delta.content.length > 0)
        this.sawContent = true;
    }
  }
}
