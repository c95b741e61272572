-- wrk reporter: one JSON line with requests/s, p95 latency and errors.
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status
    + summary.errors.timeout
  io.write(string.format('JSON {"rps": %.2f, "p95_ms": %.3f, "errors": %d, "requests": %d}\n',
    summary.requests / (summary.duration / 1e6), latency:percentile(95) / 1000, errors, summary.requests))
end
