-- wrk script for wrk-load.ts: cycles through the request paths listed one per line in the file
-- named by the first script argument (each thread from its own offset), and prints one JSON line,
-- prefixed WRK_RESULT, with the totals, errors and latency percentiles (microseconds).
local threads = {}
local count = 0

function setup(thread)
  count = count + 1
  thread:set("offset", count - 1)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    if line ~= "" then paths[#paths + 1] = line end
  end
  file:close()
  n = tonumber(offset) * 7919
end

function request()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"mean":%f,"p50":%d,"p90":%d,"p99":%d,"max":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
