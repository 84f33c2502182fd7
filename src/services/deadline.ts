/** A promise raced against a timer: `expired()` is thrown when `ms` milliseconds pass first. */
export function withDeadline<T>(work: Promise<T>, ms: number, expired: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(expired()), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
