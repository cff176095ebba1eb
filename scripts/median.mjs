// The middle value of a list of timings; of an even count, the mean of the two middle ones
// (the benchmark scripts' summaries).
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
