/** Most request starts in any half-open one-second window [t, t + 1000); `starts` in ascending ms. */
export function busiestSecond(starts: readonly number[]): number {
  let most = 0;
  for (let i = 0, j = 0; i < starts.length; i++) {
    while (starts[i]! - starts[j]! >= 1000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}
