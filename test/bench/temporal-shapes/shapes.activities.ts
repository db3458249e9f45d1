/** Local activities that return a payload of the served workflow's size and do nothing else. */
export async function admit(bytes: number): Promise<string> {
  return 'a'.repeat(bytes);
}

export async function settle(bytes: number): Promise<string> {
  return 's'.repeat(Math.min(bytes, 600));
}
