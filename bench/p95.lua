-- wrk reporter: one JSON line with requests/s, p95 latency and errors.
-- With BENCH_NONCE=1 every request appends a new number to the path (whose last parameter is the demand), so
-- no two requests ask the same thing and none is answered from the cache (the run's start time leads the
-- number: a run does not ask what an earlier run asked, whose answers the cache may still hold).
local threads = 0
local run = tostring(os.time())
setup = function(thread)
  threads = threads + 1
  thread:set("id", threads)
end

local counter = 0
if os.getenv("BENCH_NONCE") == "1" then
  request = function()
    counter = counter + 1
    return wrk.format(nil, wrk.path .. "%20" .. run .. tostring(id * 100000000 + counter))
  end
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status
    + summary.errors.timeout
  io.write(string.format('JSON {"rps": %.2f, "p95_ms": %.3f, "errors": %d, "requests": %d}\n',
    summary.requests / (summary.duration / 1e6), latency:percentile(95) / 1000, errors, summary.requests))
end
