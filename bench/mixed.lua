-- wrk mixed load: 70% reads, 20% lists, 10% writes, in a fixed rotation per connection thread.
-- Reads: the check, an item, a search (paths in BENCH_READS, "|"-separated); lists: the reviewer's application
-- queue as a reviewer asks for it, in the brief representation (BENCH_LIST: `?brief=1`, with BENCH_OFFICE_TOKEN); writes: a new payment of 0.01 against BENCH_INSTALMENT
-- (with BENCH_PAYER_TOKEN), each with its own voucher.
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("id", threads)
end

local reads = {}
for path in string.gmatch(os.getenv("BENCH_READS") or "", "[^|]+") do table.insert(reads, path) end
local list = os.getenv("BENCH_LIST")
local office = { ["Authorization"] = "Token " .. (os.getenv("BENCH_OFFICE_TOKEN") or "") }
local payer = {
  ["Authorization"] = "Token " .. (os.getenv("BENCH_PAYER_TOKEN") or ""),
  ["Content-Type"] = "application/json",
}
local instalment = os.getenv("BENCH_INSTALMENT")
-- The start time follows the run's id: each slice of a run (bench/run.py, paired) writes vouchers of its own.
local run = (os.getenv("BENCH_RUN") or "0") .. "-" .. tostring(os.time())
local counter = 0

request = function()
  counter = counter + 1
  local slot = counter % 10
  if slot < 7 then
    return wrk.format("GET", reads[(counter % #reads) + 1])
  elseif slot < 9 then
    return wrk.format("GET", list, office)
  end
  local body = string.format('{"instalment": %s, "paid_on": "2026-11-20", "amount": "0.01", "voucher": "MIX-%s-%d-%d"}',
    instalment, run, id, counter)
  return wrk.format("POST", "/api/v1/payments/", payer, body)
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status
    + summary.errors.timeout
  io.write(string.format('JSON {"rps": %.2f, "p95_ms": %.3f, "errors": %d, "requests": %d}\n',
    summary.requests / (summary.duration / 1e6), latency:percentile(95) / 1000, errors, summary.requests))
end
